"""Flask-AppBuilder's own messages that show on our pages, listed so that extraction puts them in
our catalogue.

FAB ships a French catalogue, but it misses strings (Add, Edit, Show, Delete, Detail, ...) and
gets others wrong ("Sign In" -> "S'enregistrer", half-Spanish messages). Our catalogue is merged
over FAB's, so the French we give these msgids wins. Nothing imports this module at run time.
"""
from flask_babel import lazy_gettext as _l

NAVIGATION = (
    _l("Login"), _l("Logout"), _l("Profile"), _l("Welcome"), _l("Sign In"),
    _l("Enter your login and password below"), _l("Username"), _l("Password"),
    _l("Invalid login. Please try again."), _l("Access is Denied"),
)

LIST_AND_FORMS = (
    _l("Search"), _l("Back"), _l("Save"), _l("Add"), _l("Edit"), _l("Show"), _l("Delete"),
    _l("Add a new record"), _l("Edit record"), _l("Show record"), _l("Delete record"),
    _l("Are you sure you want to delete this item?"), _l("Record Count"), _l("Actions"),
    _l("Page size"), _l("Order by"), _l("No records found"), _l("Add Filter"), _l("Detail"),
    _l("User confirmation needed"), _l("Added Row"), _l("Changed Row"), _l("Deleted Row"),
    _l("Associated data exists, please delete them first"),
    _l("Integrity error, probably unique constraint"), _l("Database Error"),
    _l("Not a valid choice"), _l("Select Value"), _l("This field is required."),
    _l("Not a valid date value"), _l("Already exists."), _l("Invalid file extension"),
)

FILTERS = (
    _l("Starts with"), _l("Not Starts with"), _l("Ends with"), _l("Not Ends with"),
    _l("Contains"), _l("Not Contains"), _l("Equal to"), _l("Not Equal to"), _l("Greater than"),
    _l("Smaller than"), _l("In"), _l("Not In"), _l("Relation"), _l("No Relation"),
    _l("Relation as Many"),
)

SECURITY = (
    _l("Security"), _l("List Users"), _l("List Roles"), _l("List Groups"), _l("User's Statistics"),
    _l("User Statistics"), _l("Base Permissions"), _l("Views/Menus"), _l("Permission on Views/Menus"),
    _l("List Base Permissions"), _l("Show Base Permission"), _l("Add Base Permission"),
    _l("Edit Base Permission"), _l("Name"), _l("List View Menus"), _l("Show View Menu"),
    _l("Add View Menu"), _l("Edit View Menu"), _l("List Permissions on Views/Menus"),
    _l("Show Permission on Views/Menus"), _l("Add Permission on Views/Menus"),
    _l("Edit Permission on Views/Menus"), _l("Permission"), _l("View/Menu"),
    _l("Reset Password Form"), _l("Password Changed"), _l("Edit User Information"),
    _l("User information changed"), _l("Show User"), _l("Add User"), _l("Edit User"),
    _l("Full Name"), _l("Is Active?"), _l("Role"), _l("Groups"), _l("Last login"),
    _l("Login count"), _l("Failed login count"), _l("Created on"), _l("Created by"),
    _l("Changed on"), _l("Changed by"),
    _l("Username valid for authentication on DB or LDAP, unused for OID auth"),
    _l("The user's password for authentication"),
    _l("It's not a good policy to remove a user, just make it inactive"),
    _l("The user's email, this will also be used for OID auth"),
    _l("Please rewrite the user's password to confirm"), _l("User info"), _l("Personal Info"),
    _l("Audit Info"), _l("Your user information"), _l("Reset my password"), _l("Reset Password"),
    _l("Show Role"), _l("Add Role"), _l("Edit Role"), _l("Permissions"), _l("Copy Role"),
    _l("Copy the selected roles?"), _l("User(s) exists in the role, cannot delete"),
    _l("Show Group"), _l("Add Group"), _l("Edit Group"),
    _l("User(s) exists in the group, cannot delete"), _l("User Name"), _l("First Name"),
    _l("Write the user first name or names"), _l("Last Name"), _l("Write the user last name"),
    _l("Confirm Password"), _l("Please rewrite the password to confirm"), _l("Passwords must match"),
    _l("Email"), _l("Please use a good password policy, this application does not check this for you"),
    _l("Must have at least two capital letters, one special character, two digits, three lower case "
       "letters and a minimal length of 10."),
    _l("Either select a role or a group"),
    _l("The user role on the application, this will associate with a list of permissions"),
    _l("The user group on the application, this will associate with a list of roles associated with "
       "the group"),
)

# Column names that FAB's user-group and role views show without translating them; a security
# view that sets its label_columns with these msgids gets them in French.
SECURITY_COLUMNS = (_l("Label"), _l("Description"), _l("Users"), _l("Roles"), _l("User"))
