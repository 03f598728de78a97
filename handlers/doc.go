// Package handlers composes the server's HTTP surface: the common middleware, one sub-tree per
// API (its kin-openapi request validator built from its embedded spec, its generated strict
// handler and its error renderer), health, metrics, JWKS and the /docs reference page, plus the
// background work (mail dispatch, sweeps) the APIs rely on.
package handlers
