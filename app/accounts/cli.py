def register_account_commands(app):
    pass
