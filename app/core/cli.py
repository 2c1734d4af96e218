def register_core_commands(app):
    pass
