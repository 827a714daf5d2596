"""The ZIP/CSV reader copes with what Zoho sends and streams it."""

import zipfile

import pytest

from tap_zoho_bulk.export import ExportFormatError, _member, open_blocks, open_export, verify_export


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


# --- verified before any record is emitted ---------------------------------------------------------

def test_a_good_export_passes_verification(tmp_path):
    verify_export(make_zip(tmp_path, '\ufeffId,Name\r\n1,"a, ""b""\nc"\r\n2,\r\n'))


def corrupt_crc(path):
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode())  # the local header, then the data
    data[start + info.compress_size // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(("build", "reason"), [
    (lambda tmp: corrupt_crc(make_zip(tmp, "id,Name\n" + "".join(f"{n},name {n}\n" for n in range(2000)))),
     "damaged"),
    (lambda tmp: make_zip(tmp, "id,Name\n1,caf\xe9\n", encoding="latin-1"), "not UTF-8"),
    (lambda tmp: make_zip(tmp, "id,Name,Name\n1,a,b\n"), "names columns twice: Name"),
    (lambda tmp: make_zip(tmp, "id,Name\n1,a,extra\n"), "row 2 of the CSV has 3 cells, its header 2"),
    (lambda tmp: make_zip(tmp, "id,Name\n1\n"), "row 2 of the CSV has 1 cells"),
])
def test_a_broken_export_is_refused_without_quoting_its_data(tmp_path, build, reason):
    with pytest.raises(ExportFormatError, match=reason) as info:
        verify_export(build(tmp_path))
    assert "caf" not in str(info.value) and "name 1" not in str(info.value)


def test_a_zip_of_two_files_is_refused(tmp_path):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("1.csv", "id\n1\n")
        archive.writestr("2.csv", "id\n2\n")
    with pytest.raises(ExportFormatError, match="holds 2 files"):
        verify_export(path)


def test_a_zip_bomb_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive, \
            archive.open("bomb.csv", "w", force_zip64=True) as member:
        member.write(b"id,Name\n")
        zeros = b"0" * (1 << 20)
        for _ in range(256):  # 256 MiB of one repeated byte: a few hundred KB zipped
            member.write(zeros)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(ExportFormatError, match="zip bomb"):
        verify_export(path)


# --- the member inflated by ISA-L reads exactly what zipfile reads, and checks what zipfile checks ---

def varied_csv(rows: int) -> bytes:
    """Text that deflates unevenly (repeated and pseudo-random cells), so inflating it crosses many
    deflate blocks and reads."""
    state, lines = 7, ["id,Name,Notes"]
    for n in range(rows):
        state = (state * 1103515245 + 12345) % 2**31
        lines.append(f'{n},name {n % 13},"{state:x} {"ab" * (state % 50)}\n{state % 97}"')
    return ("\r\n".join(lines) + "\r\n").encode()


def write_member(path, data, *, compression, streamed=False):
    with zipfile.ZipFile(path, "w", compression) as archive:
        if streamed:  # sizes and CRC in a data descriptor after the data, as a streaming writer does
            with archive.open("1.csv", "w") as member:
                member.write(data)
        else:
            archive.writestr("1.csv", data)
    return path


@pytest.mark.parametrize("case", ["deflated", "deflated, streamed", "stored"])
@pytest.mark.parametrize("size", [1, 4096, 1 << 22])
def test_the_member_reads_as_zipfile_reads_it_whatever_the_read_size(tmp_path, case, size):
    data = varied_csv(30_000)
    compression = zipfile.ZIP_STORED if case == "stored" else zipfile.ZIP_DEFLATED
    path = write_member(tmp_path / "r.zip", data, compression=compression, streamed="streamed" in case)
    with zipfile.ZipFile(path) as archive:
        assert archive.read("1.csv") == data
    with _member(path) as (_, _, raw):
        read = bytearray()
        while chunk := raw.read(size if size > 1 else 1 + len(read) % 5000):
            read += chunk
    assert bytes(read) == data


def patch_central_directory(path, offset, value):
    """Overwrite a 4-byte field of the first central directory entry (16: CRC-32, 20: compressed size)."""
    data = bytearray(path.read_bytes())
    entry = data.rindex(b"PK\x01\x02")
    data[entry + offset:entry + offset + 4] = value.to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_a_wrong_crc_is_found_by_the_fast_inflater(tmp_path):
    path = write_member(tmp_path / "r.zip", varied_csv(2000), compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        crc = archive.infolist()[0].CRC
    patch_central_directory(path, 16, crc ^ 1)
    with pytest.raises(ExportFormatError, match=r"damaged.*CRC"):
        verify_export(path)


def test_a_deflate_stream_cut_short_is_found_by_the_fast_inflater(tmp_path):
    path = write_member(tmp_path / "r.zip", varied_csv(2000), compression=zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        size = archive.infolist()[0].compress_size
    patch_central_directory(path, 20, size // 2)
    with pytest.raises(ExportFormatError, match=r"damaged.*ends early"):
        verify_export(path)
    with pytest.raises(EOFError), open_blocks(path) as (_, blocks):
        list(blocks)


class Stop(BaseException):
    """What a signal handler raises (as the tap's SyncStopped)."""


@pytest.mark.parametrize("at", [1, 2, 3])
def test_a_stop_raised_while_a_block_is_asked_for_is_the_error_that_leaves(tmp_path, monkeypatch, at):
    from concurrent.futures import ThreadPoolExecutor

    import tap_zoho_bulk.export as export

    calls = []

    class Stopping(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):  # type: ignore[override]
            calls.append(1)
            if len(calls) == at:
                raise Stop
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(export, "ThreadPoolExecutor", Stopping)
    path = write_member(tmp_path / "r.zip", varied_csv(3000), compression=zipfile.ZIP_DEFLATED)
    with pytest.raises(Stop), open_blocks(path, block_bytes=4096) as (_, blocks):
        list(blocks)
