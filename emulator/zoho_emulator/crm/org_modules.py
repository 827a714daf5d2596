"""The modules and fields of the emulated CRM and Bigin organisations.

Chosen to cover every field data type a bulk-read client must decode (see the brief's
type list) plus the modules a client must learn to skip (unsupported, linking,
not API-supported), with realistic API names (including underscores and a custom module).
"""

from __future__ import annotations

from typing import Any

from zoho_emulator.crm.field_specs import FieldSpec, ModuleSpec, Record

F = FieldSpec

LEAD_SOURCES = (
    "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
    "Partner", "Public Relations", "Seminar Partner", "Trade Show", "Web Download", "Chat",
)  # fmt: skip
INDUSTRIES = (
    "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
    "Government/Military", "Large Enterprise", "Management ISV", "Network Equipment Enterprise",
    "Non-management ISV", "Optical Networking", "Service Provider", "Small/Medium Enterprise",
    "Storage Equipment", "Storage Service Provider", "Systems Integrator", "Wireless Industry",
)  # fmt: skip
RATINGS = ("Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down")
CARRIERS = ("FedEx", "UPS", "USPS", "DHL", "Blue Dart", "Delhivery")


def _num(record: Record, name: str) -> float | None:
    value = record.get(name)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def expected_revenue(record: Record) -> float | None:
    """Deals.Expected_Revenue = Amount * Probability / 100."""
    amount, probability = _num(record, "Amount"), _num(record, "Probability")
    if amount is None or probability is None:
        return None
    return round(amount * probability / 100, 2)


def display_name(record: Record) -> str | None:
    """Contacts.Display_Name = Last_Name + ", " + First_Name."""
    last, first = record.get("Last_Name"), record.get("First_Name")
    if not last:
        return None
    return f"{last}, {first}" if first else str(last)


def cost_per_kg(record: Record) -> float | None:
    """Shipments.Cost_Per_Kg = Declared_Value / Weight_Kg."""
    value, weight = _num(record, "Declared_Value"), _num(record, "Weight_Kg")
    if value is None or not weight:
        return None
    return round(value / weight, 2)


def _system_fields() -> tuple[FieldSpec, ...]:
    return (
        F("Created_By", "ownerlookup", read_only=True),
        F("Modified_By", "ownerlookup", read_only=True),
        F("Created_Time", "datetime", read_only=True),
        F("Modified_Time", "datetime", read_only=True),
    )


def _module(api_name: str, singular: str, plural: str, *fields: FieldSpec, **kw: Any) -> ModuleSpec:
    owner = F("Owner", "ownerlookup", label=f"{singular} Owner", mandatory=True)
    return ModuleSpec(api_name, singular, plural, (owner, *fields, *_system_fields()), **kw)


def crm_modules() -> list[ModuleSpec]:
    """Modules of the emulated Zoho CRM org, parents before children."""
    return [
        _module(
            "Accounts", "Account", "Accounts",
            F("Account_Name", "text", mandatory=True, hint="company"),
            F("Account_Number", "bigint"),
            F("Account_Site", "text", hint="city"),
            F("Parent_Account", "lookup", lookup="Accounts"),
            F("Account_Type", "picklist", label="Type", options=(
                "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor",
                "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor", "Other")),
            F("Industry", "picklist", options=INDUSTRIES),
            F("Annual_Revenue", "currency"),
            F("Employees", "integer"),
            F("Rating", "picklist", options=RATINGS),
            F("Phone", "phone"),
            F("Fax", "phone"),
            F("Website", "website"),
            F("Ticker_Symbol", "text", hint="ticker"),
            F("Billing_Street", "text", hint="street"),
            F("Billing_City", "text", hint="city"),
            F("Billing_Country", "text", hint="country"),
            F("Description", "textarea"),
            F("Customer_Since", "date", custom=True),
            F("Credit_Limit", "currency", custom=True),
            F("Contract_File", "fileupload", custom=True),
        ),
        _module(
            "Contacts", "Contact", "Contacts",
            F("First_Name", "text", hint="first_name"),
            F("Last_Name", "text", mandatory=True, hint="last_name"),
            F("Display_Name", "formula", formula_type="text", read_only=True, custom=True,
              expression='Concat(${Contacts.Last Name},", ",${Contacts.First Name})',
              compute=display_name),
            F("Email", "email"),
            F("Secondary_Email", "email"),
            F("Phone", "phone"),
            F("Mobile", "phone"),
            F("Title", "text", hint="title"),
            F("Department", "text", hint="department"),
            F("Account_Name", "lookup", lookup="Accounts"),
            F("Reports_To", "lookup", lookup="Contacts"),
            F("Lead_Source", "picklist", options=LEAD_SOURCES),
            F("Date_of_Birth", "date"),
            F("Email_Opt_Out", "boolean"),
            F("Mailing_Street", "text", hint="street"),
            F("Mailing_City", "text", hint="city"),
            F("Mailing_Country", "text", hint="country"),
            F("Languages", "multiselectpicklist", custom=True, options=(
                "English", "Hindi", "Japanese", "Portuguese (Brazil)", "Spanish", "Tamil")),
            F("Customer_Number", "bigint", custom=True),
            F("Description", "textarea"),
        ),
        _module(
            "Leads", "Lead", "Leads",
            F("First_Name", "text", hint="first_name"),
            F("Last_Name", "text", mandatory=True, hint="last_name"),
            F("Company", "text", mandatory=True, hint="company"),
            F("Designation", "text", label="Title", hint="title"),
            F("Email", "email"),
            F("Phone", "phone"),
            F("Mobile", "phone"),
            F("Website", "website"),
            F("Lead_Source", "picklist", options=LEAD_SOURCES),
            F("Lead_Status", "picklist", options=(
                "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead",
                "Lost Lead", "Not Contacted", "Pre-Qualified", "Not Qualified")),
            F("Industry", "picklist", options=INDUSTRIES),
            F("Annual_Revenue", "currency"),
            F("No_of_Employees", "integer", label="No. of Employees"),
            F("Rating", "picklist", options=RATINGS),
            F("Email_Opt_Out", "boolean"),
            F("Interests", "multiselectpicklist", custom=True, options=(
                "Cloud Hosting", "Data Analytics", "Mobile Apps", "Security Audit",
                "Training & Support")),
            F("Lead_Score", "integer", custom=True),
            F("First_Contacted_On", "date", custom=True),
            F("Last_Activity_Time", "datetime", read_only=True),
            F("Description", "textarea", long_text=True),
            F("Lead_Attachment", "fileupload", custom=True),
        ),
        _module(
            "Deals", "Deal", "Deals",
            F("Deal_Name", "text", mandatory=True, hint="deal"),
            F("Amount", "currency"),
            F("Stage", "picklist", mandatory=True, options=(
                "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
                "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
                "Closed Lost to Competition")),
            F("Probability", "percent", label="Probability (%)"),
            F("Expected_Revenue", "formula", formula_type="double", read_only=True,
              expression="${Deals.Amount}*${Deals.Probability (%)}/100",
              compute=expected_revenue),
            F("Closing_Date", "date", mandatory=True),
            F("Account_Name", "lookup", lookup="Accounts"),
            F("Contact_Name", "lookup", lookup="Contacts"),
            F("Type", "picklist", options=("Existing Business", "New Business")),
            F("Lead_Source", "picklist", options=LEAD_SOURCES),
            F("Next_Step", "text", hint="subject"),
            F("Competitors", "multiselectpicklist", custom=True, options=(
                "Acme Corp", "Globex", "Initech", "Umbrella Holdings")),
            F("Deal_Contacts", "multiselectlookup", lookup="Contacts", custom=True,
              linking="Contacts_X_Deals"),
            F("Description", "textarea"),
        ),
        _module(
            "Sales_Orders", "Sales Order", "Sales Orders",
            F("Subject", "text", mandatory=True, hint="subject"),
            F("SO_Number", "autonumber", label="SO Number", read_only=True, prefix="SO-"),
            F("Customer_No", "text", hint="code"),
            F("Account_Name", "lookup", lookup="Accounts", mandatory=True),
            F("Contact_Name", "lookup", lookup="Contacts"),
            F("Deal_Name", "lookup", lookup="Deals"),
            F("Status", "picklist", options=("Created", "Approved", "Delivered", "Cancelled")),
            F("Due_Date", "date"),
            F("Carrier", "picklist", options=CARRIERS),
            F("Sub_Total", "currency", read_only=True),
            F("Discount", "currency"),
            F("Tax", "currency"),
            F("Adjustment", "currency"),
            F("Grand_Total", "currency", read_only=True),
            F("Exchange_Rate", "double"),
            F("Billing_City", "text", hint="city"),
            F("Terms_and_Conditions", "textarea"),
        ),
        _module(
            "Shipments", "Shipment", "Shipments",
            F("Name", "text", label="Shipment Name", mandatory=True, hint="subject"),
            F("Shipment_Number", "autonumber", read_only=True, custom=True, prefix="SHP-"),
            F("Sales_Order", "lookup", lookup="Sales_Orders", custom=True),
            F("Tracking_Number", "text", custom=True, hint="code"),
            F("Tracking_URL", "website", custom=True),
            F("Carrier", "picklist", custom=True, options=CARRIERS),
            F("Services", "multiselectpicklist", custom=True, options=(
                "Express Delivery", "Signature Required", "Cold Chain", "Weekend Delivery",
                "Insurance Plus")),
            F("Shipped_At", "datetime", custom=True),
            F("Delivered_On", "date", custom=True),
            F("Weight_Kg", "double", custom=True),
            F("Packages", "integer", custom=True),
            F("Declared_Value", "currency", custom=True),
            F("Cost_Per_Kg", "formula", formula_type="double", read_only=True, custom=True,
              expression="${Shipments.Declared Value}/${Shipments.Weight Kg}",
              compute=cost_per_kg),
            F("Insurance_Rate", "percent", custom=True),
            F("Fragile", "boolean", custom=True),
            F("Barcode", "bigint", custom=True),
            F("Contact_Email", "email", custom=True),
            F("Contact_Phone", "phone", custom=True),
            F("Handling_Notes", "textarea", custom=True, long_text=True, length=200000),
            F("Proof_Of_Delivery", "fileupload", custom=True),
            generated_type="custom",
        ),
        _module(
            "Notes", "Note", "Notes",
            F("Note_Title", "text", hint="subject"),
            F("Note_Content", "textarea"),
            F("Parent_Id", "lookup", lookup="Leads"),
        ),
        _module(
            "Attachments", "Attachment", "Attachments",
            F("File_Name", "text", hint="file"),
            F("Size", "text", hint="code"),
            F("Parent_Id", "lookup", lookup="Leads"),
            creatable=False,
        ),
        _module(
            "Emails", "Email", "Emails",
            F("Subject", "text", hint="subject"),
            F("From", "email"),
            F("To", "email"),
            F("Sent_Time", "datetime"),
            creatable=False,
        ),
        _module(
            "Contacts_X_Deals", "Contact Role", "Contact Roles",
            F("Contact_Name", "lookup", lookup="Contacts", mandatory=True),
            F("Deal_Name", "lookup", lookup="Deals", mandatory=True),
            F("Contact_Role", "picklist", options=("Decision Maker", "Evaluator", "Influencer")),
            generated_type="linking",
        ),
        _module(
            "Visits", "Visit", "Visits",
            F("Visitor_Name", "text", hint="full_name"),
            F("Portal_Name", "text", hint="company"),
            F("Visited_Page", "website"),
            F("Time_Spent", "integer"),
            api_supported=False,
            creatable=False,
        ),
    ]  # fmt: skip


def bigin_modules() -> list[ModuleSpec]:
    """Modules of the emulated Bigin org (Accounts = Companies, Pipelines = deals)."""
    return [
        _module(
            "Accounts", "Company", "Companies",
            F("Account_Name", "text", label="Company Name", mandatory=True, hint="company"),
            F("Phone", "phone"),
            F("Website", "website"),
            F("Industry", "picklist", custom=True, options=INDUSTRIES),
            F("Employees", "integer", custom=True),
            F("Registration_No", "bigint", custom=True),
            F("Billing_Street", "text", hint="street"),
            F("Billing_City", "text", hint="city"),
            F("Billing_Country", "text", hint="country"),
            F("Description", "textarea", long_text=True),
            F("Company_Logo", "fileupload", custom=True),
            scope_name="companies",
        ),
        _module(
            "Contacts", "Contact", "Contacts",
            F("First_Name", "text", hint="first_name"),
            F("Last_Name", "text", mandatory=True, hint="last_name"),
            F("Display_Name", "formula", formula_type="text", read_only=True, custom=True,
              expression='Concat(${Contacts.Last Name},", ",${Contacts.First Name})',
              compute=display_name),
            F("Title", "text", hint="title"),
            F("Email", "email"),
            F("Mobile", "phone"),
            F("Account_Name", "lookup", label="Company Name", lookup="Accounts"),
            F("Email_Opt_Out", "boolean"),
            F("Date_of_Birth", "date", custom=True),
            F("Mailing_City", "text", hint="city"),
            F("Mailing_Country", "text", hint="country"),
            F("Preferred_Channels", "multiselectpicklist", custom=True, options=(
                "Email", "Phone Call", "WhatsApp", "In Person")),
            F("Loyalty_Tier", "picklist", custom=True, options=("Bronze", "Silver", "Gold")),
            F("Description", "textarea"),
        ),
        _module(
            "Products", "Product", "Products",
            F("Product_Name", "text", mandatory=True, hint="product"),
            F("Product_Code", "text", hint="code"),
            F("Product_Active", "boolean"),
            F("Product_Category", "picklist", options=("Hardware", "Software", "Services")),
            F("Unit_Price", "currency"),
            F("Qty_in_Stock", "double", label="Quantity in Stock"),
            F("Tax_Rate", "percent", custom=True),
            F("SKU_Number", "bigint", custom=True),
            F("Vendor_Site", "website", custom=True),
            F("Support_Email", "email", custom=True),
            F("Support_Phone", "phone", custom=True),
            F("Launch_Date", "date", custom=True),
            F("Colors", "multiselectpicklist", custom=True, options=(
                "Midnight Blue", "Forest Green", "Sunset Orange", "Pearl White")),
            F("Datasheet", "fileupload", custom=True),
            F("Description", "textarea"),
        ),
        _module(
            "Pipelines", "Pipeline", "Pipelines",
            F("Deal_Name", "text", mandatory=True, hint="deal"),
            F("Deal_Number", "autonumber", read_only=True, custom=True, prefix="BGN-"),
            F("Amount", "currency"),
            F("Stage", "picklist", mandatory=True, options=(
                "Qualification", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
                "Closed Won", "Closed Lost")),
            F("Pipeline", "picklist", mandatory=True, options=(
                "Sales Pipeline Standard", "Partner Pipeline")),
            F("Closing_Date", "date", mandatory=True),
            F("Account_Name", "lookup", label="Company Name", lookup="Accounts"),
            F("Contact_Name", "lookup", lookup="Contacts"),
            F("Probability", "percent", custom=True),
            F("Expected_Revenue", "formula", formula_type="double", read_only=True, custom=True,
              expression="${Pipelines.Amount}*${Pipelines.Probability}/100",
              compute=expected_revenue),
            F("Last_Contacted", "datetime", custom=True),
            F("Won", "boolean", custom=True),
            F("Related_Products", "multiselectlookup", lookup="Products", custom=True,
              linking="Pipelines_X_Products"),
            F("Description", "textarea"),
            scope_name="deals",
        ),
        _module(
            "Notes", "Note", "Notes",
            F("Note_Title", "text", hint="subject"),
            F("Note_Content", "textarea"),
            F("Parent_Id", "lookup", lookup="Contacts"),
        ),
    ]  # fmt: skip


CATALOG = {"crm": crm_modules, "bigin": bigin_modules}
