package handlers

import (
	"github.com/go-chi/chi/v5"

	"gatehouse/handlers/docs"
)

// mountDocs serves the API reference page for every mounted API at /docs.
func (a *App) mountDocs(r chi.Router) {
	specs := make([]docs.Spec, 0, len(a.apis))
	for _, api := range a.apis {
		specs = append(specs, docs.Spec{Name: api.def.name, Title: api.title, URL: api.mount + "/openapi.json"})
	}
	h := docs.Handler(specs)
	r.Handle("/docs", h)
	r.Handle("/docs/*", h)
}
