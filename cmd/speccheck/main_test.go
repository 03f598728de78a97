package main

import (
	"strings"
	"testing"
)

const header = `openapi: 3.0.3
info: {title: t, version: "1"}
servers: [{url: /api/v1/auth}]
`

// op is a valid operation; tests replace parts of it.
const op = `
      operationId: %ID%
      summary: s
      responses:
        "200": {description: ok}
        "400":
          description: bad
          content:
            application/json:
              schema: {type: object}
`

func doc(paths string) string { return header + "paths:\n" + paths }

func get(path, id string) string {
	return "  " + path + ":\n    get:" + strings.ReplaceAll(op, "%ID%", id)
}

func TestRules(t *testing.T) {
	tests := []struct {
		name string
		docs []string // checked in one run, as file0.yaml, file1.yaml, ...
		want []string // one substring per problem expected, in any order; none for a valid document
	}{
		{"valid", []string{doc(get("/a", "a"))}, nil},
		{"version", []string{strings.Replace(doc(get("/a", "a")), "3.0.3", "3.0.2", 1)}, []string{"must be exactly 3.0.3"}},
		{"no servers", []string{strings.Replace(doc(get("/a", "a")), "servers: [{url: /api/v1/auth}]\n", "", 1)}, []string{"exactly one entry, has 0"}},
		{"two servers", []string{strings.Replace(doc(get("/a", "a")), "[{url: /api/v1/auth}]", "[{url: /a}, {url: /b}]", 1)}, []string{"exactly one entry, has 2"}},
		{"server with host", []string{strings.Replace(doc(get("/a", "a")), "/api/v1/auth", "https://x.test/api", 1)}, []string{"path-only mount"}},
		{"protocol-relative server", []string{strings.Replace(doc(get("/a", "a")), "/api/v1/auth", "//x.test/api", 1)}, []string{"path-only mount"}},
		{"no operationId", []string{doc(strings.Replace(get("/a", "a"), "      operationId: a\n", "", 1))}, []string{"/a.get: no operationId"}},
		{"duplicate operationId in one doc", []string{doc(get("/a", "x") + get("/b", "x"))}, []string{`kin-openapi: invalid paths: operations "GET /a" and "GET /b" have the same operation id "x"`, `operationId "x" already used at file0.yaml: /a.get`}},
		{"same operationId in two docs", []string{doc(get("/a", "x")), doc(get("/b", "x"))}, nil},
		{"no summary", []string{doc(strings.Replace(get("/a", "a"), "      summary: s\n", "", 1))}, []string{"no summary"}},
		{"no error response", []string{doc(get("/a", "a")[:strings.Index(get("/a", "a"), `        "400"`)])}, []string{"no default or 4xx response"}},
		{"default counts as error response", []string{doc(strings.Replace(get("/a", "a"), `"400"`, "default", 1))}, nil},
		{"5xx alone is not enough", []string{doc(strings.Replace(get("/a", "a"), `"400"`, `"500"`, 1))}, []string{"no default or 4xx response"}},
		{"error without json body", []string{doc(strings.Replace(get("/a", "a"), "application/json", "text/plain", 1))}, []string{"response 400 has no application/json body"}},
		{"5xx without body", []string{doc(get("/a", "a") + `        "503": {description: down}` + "\n")}, []string{"response 503 has no application/json body"}},
		{"undeclared path parameter", []string{doc(get("/a/{id}", "a"))}, []string{"kin-openapi: invalid paths: operation GET /a/{id} must define exactly all path parameters", `/a/{id}.get: path parameter "id" is not declared`}},
		{"declared path parameter", []string{doc(strings.Replace(get("/a/{id}", "a"), "      summary: s\n",
			"      summary: s\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n", 1))}, nil},
		{"path parameter not in the path", []string{doc(strings.Replace(get("/a", "a"), "      summary: s\n",
			"      summary: s\n      parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n", 1))}, []string{"kin-openapi:", `path parameter "id" is not in the path`}},
		{"path-item level parameter", []string{doc("  /a/{id}:\n    parameters: [{name: id, in: path, required: true, schema: {type: string}}]\n    get:" +
			strings.ReplaceAll(op, "%ID%", "a"))}, nil},
		{"allOf with additionalProperties false", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: object, properties: {a: {type: string}}}
    B:
      allOf: [{$ref: "#/components/schemas/A"}]
      additionalProperties: false
`}, []string{"components.schemas.B: additionalProperties: false on a schema composed with allOf"}},
		{"allOf branch with additionalProperties false", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: object, properties: {a: {type: string}}, additionalProperties: false}
    B:
      allOf: [{$ref: "#/components/schemas/A"}, {type: object, properties: {b: {type: string}}}]
`}, []string{"allOf[0] (#/components/schemas/A) has additionalProperties: false"}},
		{"closed schema without allOf is fine", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: object, properties: {a: {type: string}}, additionalProperties: false}
`}, nil},
		{"kin-openapi: bad example", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: string, format: email, example: not-an-email}
`}, []string{"kin-openapi: invalid components: schema \"A\": invalid example"}},
		{"kin-openapi: bad pattern", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: string, pattern: "(?<=a)b"}
`}, []string{"error parsing regexp"}},
		{"kin-openapi: unknown format", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: string, format: otp}
`}, []string{"unsupported 'format' value \"otp\""}},
		{"kin-openapi: misplaced field", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: object, properties: {a: {type: string}}, accountId: {type: string}}
`}, []string{"extra sibling fields: [accountId]"}},
		{"kin-openapi: bad default", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {type: string, default: 5}
`}, []string{"invalid default"}},
		{"external ref refused", []string{doc(get("/a", "a")) + `components:
  schemas:
    A: {$ref: "other.yaml#/A"}
`}, []string{"load: encountered disallowed external reference"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newChecker()
			for i, d := range tt.docs {
				c.check("file"+string(rune('0'+i))+".yaml", []byte(d))
			}
			if len(c.problems) != len(tt.want) {
				t.Fatalf("want %d problems containing %q, got %q", len(tt.want), tt.want, c.problems)
			}
			for _, w := range tt.want {
				if !strings.Contains(strings.Join(c.problems, "\n"), w) {
					t.Fatalf("want a problem containing %q, got %q", w, c.problems)
				}
			}
		})
	}
}

func TestCounts(t *testing.T) {
	c := newChecker()
	c.check("a.yaml", []byte(doc(get("/a", "a")+get("/b", "b"))))
	c.check("b.yaml", []byte(doc(get("/c", "c"))))
	if c.docs != 2 || c.ops != 3 || len(c.problems) != 0 {
		t.Fatalf("docs=%d ops=%d problems=%q", c.docs, c.ops, c.problems)
	}
}
