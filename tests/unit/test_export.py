"""The ZIP/CSV reader copes with what Zoho sends and streams it."""

import zipfile

import pytest

from tap_zoho_bulk.export import ExportFormatError, open_export


def make_zip(tmp_path, text, *, name="123.csv", encoding="utf-8"):
    path = tmp_path / "result.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text.encode(encoding))
    return path


def read(path):
    with open_export(path) as (header, rows):
        return header, [row for row in rows if row]


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_bom_line_endings_and_id_capitalisation(tmp_path, newline):
    text = "\ufeffId,Name" + newline + "1,a" + newline + "2,b" + newline
    header, rows = read(make_zip(tmp_path, text))
    assert header == ["id", "Name"]
    assert rows == [["1", "a"], ["2", "b"]]


def test_quoted_cells_with_newlines_commas_and_quotes(tmp_path):
    text = 'id,Notes\r\n1,"line one\r\nline two, with ""quotes"""\r\n'
    _, rows = read(make_zip(tmp_path, text))
    assert rows == [["1", 'line one\r\nline two, with "quotes"']]


def test_cells_beyond_the_default_csv_limit(tmp_path):
    long_text = "x" * 300_000
    _, rows = read(make_zip(tmp_path, f'id,Description\n1,"{long_text}"\n'))
    assert rows[0][1] == long_text


def test_unicode(tmp_path):
    _, rows = read(make_zip(tmp_path, "id,Name\n1,Zoë 北京 🚀\n"))
    assert rows == [["1", "Zoë 北京 🚀"]]


def test_not_a_zip_is_reported(tmp_path):
    path = tmp_path / "result.zip"
    path.write_text('{"code": "INTERNAL_ERROR"}')
    with pytest.raises(ExportFormatError), open_export(path):
        pass


def test_empty_member_yields_no_rows(tmp_path):
    header, rows = read(make_zip(tmp_path, ""))
    assert header == [] and rows == []
