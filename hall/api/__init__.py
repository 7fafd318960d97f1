"""The hall server: a FastAPI app over the queue engine (see app.create_app). Only this
package, hall.web, hall.migrations and hall.__main__ load the web framework."""
