"""Hewei (和为贵): the Chalice application. Handlers live in chalicelib.api;
this module only assembles them. Importing it makes no AWS call."""

from chalice import Chalice

from chalicelib.api.routes import api
from chalicelib.observability import SERVICE

app = Chalice(app_name=SERVICE, configure_logs=False)
app.register_blueprint(api.blueprint)
