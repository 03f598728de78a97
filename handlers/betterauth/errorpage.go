package betterauth

import (
	"bytes"
	"context"
	"html/template"
	"regexp"

	"gatehouse/gen/betterauthapi"
)

var errorPage = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Error</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}
code{background:#f2f2f2;padding:.1rem .3rem;border-radius:.2rem}</style></head>
<body>
<h1>Something went wrong</h1>
<p>Error code: <code>{{.Code}}</code></p>
{{if .Description}}<p>{{.Description}}</p>{{end}}
<p><a href="https://better-auth.com/docs/reference/errors/{{.Code}}">What this error means</a></p>
</body>
</html>
`))

var errorCodePattern = regexp.MustCompile(`^[A-Za-z0-9_'-]+$`)

// Error is the page a browser lands on when a flow fails without an error URL of the app's.
func (s *Server) Error(_ context.Context, req betterauthapi.ErrorRequestObject) (betterauthapi.ErrorResponseObject, error) {
	code := str(req.Params.Error)
	if !errorCodePattern.MatchString(code) {
		code = "UNKNOWN"
	}
	var b bytes.Buffer
	if err := errorPage.Execute(&b, struct{ Code, Description string }{code, str(req.Params.ErrorDescription)}); err != nil {
		return nil, err
	}
	return betterauthapi.Error200TexthtmlResponse{Body: &b, ContentLength: int64(b.Len())}, nil
}
