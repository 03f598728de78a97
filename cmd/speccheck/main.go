// Command speccheck validates the hand-maintained OpenAPI documents:
// kin-openapi's own document validation (strict options) plus the house rules
// below. Usage: go run ./cmd/speccheck openapi/*.yaml
//
// House rules:
//   - `openapi` is exactly 3.0.3;
//   - exactly one server, whose url is a path-only mount ("/api/v1/auth");
//   - every operation has an operationId (unique within its document: each
//     document is its own generated package), a summary, and a `default` or at
//     least one 4xx response;
//   - every 4xx, 5xx and default response has an application/json body;
//   - no `additionalProperties: false` on a schema composed with allOf, nor
//     on one of its allOf branches (the branch would reject the other
//     branches' properties);
//   - every {param} of a path template is declared as an `in: path`
//     parameter, and every declared path parameter is in the template.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: speccheck openapi/*.yaml")
		os.Exit(2)
	}
	c := newChecker()
	for _, file := range os.Args[1:] {
		data, err := os.ReadFile(file)
		if err != nil {
			c.add(file, "document", err.Error())
			continue
		}
		c.check(file, data)
	}
	for _, p := range c.problems {
		fmt.Println(p)
	}
	if len(c.problems) > 0 {
		os.Exit(1)
	}
	fmt.Printf("speccheck: %d documents, %d operations OK\n", c.docs, c.ops)
}

func init() {
	// Formats kin-openapi knows by name but does not check until registered;
	// registering them makes examples and defaults with these formats checked.
	openapi3.DefineStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail))
	openapi3.DefineStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562))
}

// validationOptions are strict: examples, defaults and patterns are validated
// (kin-openapi's defaults, stated explicitly), unknown formats are errors.
var validationOptions = []openapi3.ValidationOption{
	openapi3.EnableExamplesValidation(),
	openapi3.EnableSchemaDefaultsValidation(),
	openapi3.EnableSchemaPatternValidation(),
	openapi3.EnableSchemaFormatValidation(),
	openapi3.ProhibitExtensionsWithRef(),
	openapi3.EnableMultiError(),
}

type checker struct {
	problems  []string
	docs, ops int
	opIDs     map[string]string // file + operationId -> "file: path.method" of its first use
}

func newChecker() *checker { return &checker{opIDs: map[string]string{}} }

func (c *checker) add(file, where, msg string) {
	c.problems = append(c.problems, fmt.Sprintf("%s: %s: %s", file, where, msg))
}

// check loads and checks one document; file names it in messages and is the
// base for its (local) references.
func (c *checker) check(file string, data []byte) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromDataWithPath(data, &url.URL{Path: file})
	if err != nil {
		c.add(file, "document", "load: "+err.Error())
		return
	}
	c.docs++
	if err := doc.Validate(context.Background(), validationOptions...); err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			for _, e := range me {
				c.add(file, "document", "kin-openapi: "+oneLine(e.Error()))
			}
		} else {
			c.add(file, "document", "kin-openapi: "+oneLine(err.Error()))
		}
	}
	if doc.OpenAPI != "3.0.3" {
		c.add(file, "openapi", fmt.Sprintf("must be exactly 3.0.3, not %q", doc.OpenAPI))
	}
	if len(doc.Servers) != 1 {
		c.add(file, "servers", fmt.Sprintf("must have exactly one entry, has %d", len(doc.Servers)))
	} else if u := doc.Servers[0].URL; !strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//") {
		c.add(file, "servers", fmt.Sprintf("url %q must be a path-only mount such as /api/v1/auth", u))
	}

	w := &walker{c: c, file: file, seen: map[*openapi3.Schema]bool{}}
	if doc.Components != nil {
		for _, name := range sortedKeys(doc.Components.Schemas) {
			w.schema("components.schemas."+name, doc.Components.Schemas[name])
		}
	}
	if doc.Paths == nil {
		return
	}
	paths := doc.Paths.Map()
	for _, path := range sortedKeys(paths) {
		item := paths[path]
		ops := item.Operations()
		for _, method := range sortedKeys(ops) {
			c.operation(w, file, path, strings.ToLower(method), item, ops[method])
		}
	}
}

var templateParam = regexp.MustCompile(`\{([^{}]+)\}`)

func (c *checker) operation(w *walker, file, path, method string, item *openapi3.PathItem, op *openapi3.Operation) {
	c.ops++
	where := path + "." + method
	if op.OperationID == "" {
		c.add(file, where, "no operationId")
	} else if first, dup := c.opIDs[file+"\x00"+op.OperationID]; dup {
		c.add(file, where, fmt.Sprintf("operationId %q already used at %s", op.OperationID, first))
	} else {
		c.opIDs[file+"\x00"+op.OperationID] = file + ": " + where
	}
	if strings.TrimSpace(op.Summary) == "" {
		c.add(file, where, "no summary")
	}

	declared := map[string]bool{}
	for _, params := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range params {
			if p.Value == nil {
				continue
			}
			if p.Value.In == openapi3.ParameterInPath {
				declared[p.Value.Name] = true
			}
			w.schema(where+" parameter "+p.Value.Name, p.Value.Schema)
		}
	}
	inTemplate := map[string]bool{}
	for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
		inTemplate[m[1]] = true
		if !declared[m[1]] {
			c.add(file, where, fmt.Sprintf("path parameter %q is not declared", m[1]))
		}
	}
	for _, name := range sortedKeys(declared) {
		if !inTemplate[name] {
			c.add(file, where, fmt.Sprintf("path parameter %q is not in the path", name))
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for _, mt := range sortedKeys(op.RequestBody.Value.Content) {
			w.schema(where+" requestBody "+mt, op.RequestBody.Value.Content[mt].Schema)
		}
	}

	var responses map[string]*openapi3.ResponseRef
	if op.Responses != nil {
		responses = op.Responses.Map()
	}
	hasError := false
	for _, code := range sortedKeys(responses) {
		isError := code == "default" || code[0] == '4' || code[0] == '5'
		hasError = hasError || code == "default" || code[0] == '4'
		r := responses[code].Value
		if r == nil {
			continue
		}
		if isError && (r.Content["application/json"] == nil || r.Content["application/json"].Schema == nil) {
			c.add(file, where, fmt.Sprintf("response %s has no application/json body schema", code))
		}
		for _, mt := range sortedKeys(r.Content) {
			w.schema(where+" response "+code+" "+mt, r.Content[mt].Schema)
		}
	}
	if !hasError {
		c.add(file, where, "no default or 4xx response")
	}
}

// walker visits every schema once, reporting allOf compositions that carry
// additionalProperties: false.
type walker struct {
	c    *checker
	file string
	seen map[*openapi3.Schema]bool
}

func (w *walker) schema(where string, ref *openapi3.SchemaRef) {
	if ref == nil || ref.Value == nil || w.seen[ref.Value] {
		return
	}
	s := ref.Value
	w.seen[s] = true
	if len(s.AllOf) > 0 {
		if closed(s) {
			w.c.add(w.file, where, "additionalProperties: false on a schema composed with allOf")
		}
		for i, branch := range s.AllOf {
			if branch != nil && branch.Value != nil && closed(branch.Value) {
				w.c.add(w.file, where, fmt.Sprintf("allOf[%d]%s has additionalProperties: false: it rejects the other branches' properties", i, refName(branch)))
			}
		}
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, sub := range list {
			w.schema(where, sub)
		}
	}
	w.schema(where, s.Not)
	w.schema(where+"[]", s.Items)
	w.schema(where+".*", s.AdditionalProperties.Schema)
	for _, name := range sortedKeys(s.Properties) {
		w.schema(where+"."+name, s.Properties[name])
	}
}

func closed(s *openapi3.Schema) bool {
	return s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
}

func refName(r *openapi3.SchemaRef) string {
	if r.Ref == "" {
		return ""
	}
	return " (" + r.Ref + ")"
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
