package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/profitwell-connector/connector/manifest"
)

// openAPICache holds rendered documents by manifest ETag: the same
// manifest always gives the same document.
var openAPICache sync.Map // etag -> []byte

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	body, ok := openAPICache.Load(s.etag)
	if !ok {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(OpenAPI(s.deps.Manifest)); err != nil {
			s.writeError(w, r, err)
			return
		}
		body, _ = openAPICache.LoadOrStore(s.etag, buf.Bytes())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(body.([]byte))
}

// obj is a JSON object under construction.
type obj = map[string]any

// OpenAPI describes the connector's own HTTP API as an OpenAPI 3.1 document,
// generated from the manifest: one execute operation per module whose
// request schema comes from the module's fields (types, required fields,
// static options as enums, bounds, patterns, defaults) and whose bundles
// come from its interface, plus the other endpoints and the error envelope.
//
// The schemas describe canonical values. The server is more lenient on
// input, as engines need: numbers also as numeric strings, select values in
// any case, dates as ISO 8601, Unix seconds or "now".
func OpenAPI(doc manifest.Document) map[string]any {
	conn := manifest.ObjectSchema(doc.Connection.Parameters, true) // a request member: unknown keys refused
	conn["description"] = "The user's " + doc.Connection.Label + " connection."
	execution := object(obj{
		"id":        obj{"type": "string"},
		"cycle":     obj{"type": "integer"},
		"timeoutMs": obj{"type": "integer", "description": "The deadline: at least 100, capped by the connector's --max-execution-timeout; 0 or absent means its default."},
	})
	execution["description"] = "The engine's optional description of the run."
	schemas := obj{
		// Error is every non-2xx body (see Problem).
		"Error": object(obj{"error": object(obj{
			"type": obj{"type": "string", "enum": []string{
				TypeDataError, TypeInvalidAccessTokenError, TypeDuplicateDataError, TypeRateLimitError,
				TypeConnectionError, TypeModuleTimeoutError, TypeInvalidConfigurationError, TypeRuntimeError,
			}, "description": "Make's error type: the engine applies its own policy per type."},
			"code":         obj{"type": "string", "pattern": "^[A-Z][A-Z_]*$"},
			"message":      obj{"type": "string"},
			"retryable":    obj{"type": "boolean"},
			"retryAfterMs": obj{"type": "integer", "minimum": 0},
			"fields": obj{"type": "array", "items": object(obj{"name": obj{"type": "string"}, "message": obj{"type": "string"}},
				"name", "message")},
			"upstream":  object(obj{"status": obj{"type": "integer"}, "message": obj{"type": "string"}}),
			"requestId": obj{"type": "string"},
		}, "type", "code", "message", "retryable", "retryAfterMs", "requestId")}, "error"),
		"Connection": conn,
		"Execution":  execution,
		"ExecuteMeta": object(obj{
			"module":           obj{"type": "string"},
			"returned":         obj{"type": "integer", "minimum": 0},
			"hasMore":          obj{"type": "boolean"},
			"nextCursor":       obj{"type": "string", "description": "Passed back as cursor, continues right after the last bundle."},
			"upstreamRequests": obj{"type": "integer", "minimum": 0, "description": "HTTP requests sent to ProfitWell, retries included."},
		}, "module", "returned", "hasMore", "upstreamRequests"),
	}
	paths := obj{
		"/healthz": probe("healthz", "Liveness", obj{
			"description": "200 while the process serves; never calls ProfitWell.",
			"responses":   obj{"200": jsonResponse("Alive.", statusSchema("ok"))},
		}),
		"/readyz": probe("readyz", "Readiness", obj{
			"description": "200 when serving, 503 while starting or draining after SIGTERM.",
			"responses": obj{
				"200": jsonResponse("Ready.", statusSchema("ready")),
				"503": jsonResponse("Starting or draining.", statusSchema("not ready")),
			},
		}),
		"/metrics": probe("metrics", "Prometheus metrics", obj{"responses": obj{"200": obj{
			"description": "Prometheus text exposition format.",
			"content":     obj{"text/plain": obj{"schema": obj{"type": "string"}}},
		}}}),
		"/v1/manifest": obj{"get": operation("manifest", "The app manifest", "app", obj{
			"description": "Every module, field, default, help text and output. Supports ETag and If-None-Match.",
			"parameters":  []any{obj{"name": "If-None-Match", "in": "header", "required": false, "schema": obj{"type": "string"}}},
			"responses": withErrors(obj{
				"200": jsonResponse("The manifest.", obj{"type": "object", "required": []string{"manifestVersion", "app", "connection", "modules"}}),
				"304": obj{"description": "Not modified: the ETag matches."},
			}, 401),
		})},
		"/v1/openapi.json": obj{"get": operation("openapi", "This document", "app", obj{
			"responses": withErrors(obj{"200": jsonResponse("The OpenAPI document.", obj{"type": "object"})}, 401),
		})},
		"/v1/connection/verify": obj{"post": operation("verifyConnection", "Verify a ProfitWell private token", "app", obj{
			"requestBody": jsonBody(object(obj{"connection": ref("Connection")}, "connection")),
			"responses": withErrors(obj{"200": jsonResponse("The token works.", object(obj{
				"verified": obj{"const": true},
				"metadata": object(obj{
					"label":     obj{"type": "string", "description": "The company name, to label the connection."},
					"accountId": obj{"type": "string"},
				}, "label", "accountId"),
			}, "verified", "metadata"))}, 400, 401, 413, 415, 429, 500, 503, 504),
		})},
	}

	rpcNames := make([]string, 0, len(doc.RPCs))
	for _, r := range doc.RPCs {
		rpcNames = append(rpcNames, r.Name)
	}
	paths["/v1/rpc/{name}"] = obj{"post": operation("callRPC", "Dynamic options for a select field", "app", obj{
		"parameters": []any{obj{"name": "name", "in": "path", "required": true, "schema": obj{"type": "string", "enum": rpcNames}}},
		"requestBody": jsonBody(object(obj{
			"connection": ref("Connection"),
			"parameters": obj{"type": "object"},
			"query":      obj{"type": "string", "description": "Text to search for (searchCustomers)."},
			"cursor":     obj{"type": "string", "description": "nextCursor of the previous answer."},
		}, "connection")),
		"responses": withErrors(obj{"200": jsonResponse("The options.", object(obj{
			"options":    obj{"type": "array", "items": object(obj{"label": obj{"type": "string"}, "value": obj{}}, "label", "value")},
			"nextCursor": obj{"type": "string"},
		}, "options"))}, 400, 401, 404, 413, 415, 429, 500, 503, 504),
	})}

	tags := []any{obj{"name": "app", "description": "What an engine registers and calls."}}
	groupOf := map[string]string{} // module -> its group; a module is in one at most
	for _, g := range doc.Groups {
		tags = append(tags, obj{"name": g.Label, "description": "Modules of the " + g.Label + " group."})
		for _, m := range g.Modules {
			groupOf[m] = g.Label
		}
	}
	tags = append(tags, obj{"name": "operations", "description": "Probes and metrics for orchestrators."})

	moduleNames := make([]string, 0, len(doc.Modules))
	for _, m := range doc.Modules {
		moduleNames = append(moduleNames, m.Name)
		params, bundle, req, resp := moduleSchemaNames(m.Name)
		paramsSchema, bundleSch := manifest.ObjectSchema(slices.Concat(m.Parameters, m.Expect), true), bundleSchema(m)
		if m.Example != nil {
			// The module's runnable example (the tests run it on the sandbox).
			paramsSchema["examples"] = []any{m.Example.Parameters}
			bundleSch["examples"] = []any{m.Example.Output}
		}
		schemas[params], schemas[bundle] = paramsSchema, bundleSch
		reqSchema, respSchema, answers := executeSchemas(m, params, bundle)
		schemas[req], schemas[resp] = reqSchema, respSchema
		op := operation("execute_"+m.Name, m.Label, cmp.Or(groupOf[m.Name], "app"), obj{
			"description": m.Description,
			"parameters": []any{obj{
				"name": IdempotencyHeader, "in": "header", "required": false,
				"description": "Makes a retried execution answer as the first one did instead of running again.",
				"schema":      obj{"type": "string", "minLength": 1, "maxLength": 255},
			}},
			"requestBody": jsonBody(ref(req)),
			"responses": withErrors(obj{
				"200": jsonResponse(answers, ref(resp)),
			}, 400, 401, 409, 413, 415, 429, 500, 503, 504),
			"x-make-module-type": string(m.Type),
		})
		if m.CRUD != "" {
			op["x-make-crud"] = string(m.CRUD)
		}
		paths[executePath(m.Name)] = obj{"post": op}
	}
	paths["/v1/modules/{name}/execute"] = obj{"post": operation("executeUnknown", "Any other module name", "app", obj{
		"description": "The modules are listed under their own paths; any other name is an InvalidConfigurationError (404, UNKNOWN_MODULE).",
		"parameters":  []any{obj{"name": "name", "in": "path", "required": true, "schema": obj{"type": "string", "not": obj{"enum": moduleNames}}}},
		"requestBody": obj{"required": false, "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}},
		"responses":   withErrors(obj{}, 401, 404),
	})}

	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   doc.App.Label + " connector",
			"version": doc.App.Version,
			"description": doc.App.Description + "\n\nEvery /v1 request needs `Authorization: Bearer <engine key>` " +
				"(unless the connector runs in sandbox or insecure mode). Schemas describe canonical values; the server " +
				"also accepts numbers as numeric strings, select values in any case, and dates as ISO 8601, Unix seconds or \"now\".",
		},
		"servers":  []any{obj{"url": "/"}},
		"security": []any{obj{"engineKey": []any{}}},
		"tags":     tags,
		"paths":    paths,
		"components": obj{
			"securitySchemes": obj{"engineKey": obj{
				"type": "http", "scheme": "bearer",
				"description": "One of the connector's engine keys (CONNECTOR_API_KEYS).",
			}},
			"schemas": schemas,
		},
	}
}

func executePath(module string) string { return "/v1/modules/" + module + "/execute" }

func moduleSchemaNames(module string) (params, bundle, req, resp string) {
	return module + "Parameters", module + "Bundle", module + "ExecuteRequest", module + "ExecuteResponse"
}

// operation is one endpoint, under tag, with its other members in fields.
func operation(id, summary, tag string, fields obj) obj {
	fields["operationId"], fields["summary"], fields["tags"] = id, summary, []string{tag}
	return fields
}

// probe is an orchestrator's GET endpoint, open without the engine key.
func probe(id, summary string, fields obj) obj {
	fields["security"] = []any{}
	return obj{"get": operation(id, summary, "operations", fields)}
}

// object is a JSON object schema with exactly the given properties.
func object(props obj, required ...string) obj {
	s := obj{"type": "object", "additionalProperties": false, "properties": props}
	if required != nil {
		s["required"] = required
	}
	return s
}

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

func statusSchema(value string) obj {
	return object(obj{"status": obj{"const": value}}, "status")
}

func jsonResponse(description string, schema obj) obj {
	return obj{"description": description, "content": obj{"application/json": obj{"schema": schema}}}
}

// errorStatus describes each error answer.
var errorStatus = map[int]string{
	400: "DataError: invalid parameters, envelope or cursor, or ProfitWell rejected the request.",
	401: "InvalidConfigurationError (engine key) or InvalidAccessTokenError (private token).",
	404: "InvalidConfigurationError: unknown module or RPC.",
	409: "DuplicateDataError: the object already exists.",
	413: "DataError: the body is larger than the connector accepts.",
	415: "DataError: the body is not JSON.",
	429: "RateLimitError: ProfitWell's rate limit; see Retry-After and retryAfterMs.",
	500: "RuntimeError: an internal error (details only in the connector's log).",
	503: "ConnectionError: ProfitWell is unreachable or failing, or the connector is shutting down.",
	504: "ModuleTimeoutError: the execution did not finish before its deadline.",
}

// withErrors adds the error envelope answers with the given status codes.
func withErrors(responses obj, statuses ...int) obj {
	for _, st := range statuses {
		r := jsonResponse(errorStatus[st], ref("Error"))
		if st == http.StatusTooManyRequests {
			r["headers"] = obj{"Retry-After": obj{
				"description": "Seconds to wait before retrying.",
				"schema":      obj{"type": "string", "pattern": "^[0-9]+$"},
			}}
		}
		responses[strconv.Itoa(st)] = r
	}
	return responses
}

// executeSchemas describe a module's execute request and answer, and what
// the answer holds: a search pages with a cursor, a trigger carries its
// state, any other module answers exactly one bundle.
func executeSchemas(m manifest.ModuleDoc, params, bundle string) (req, resp obj, answers string) {
	reqProps := obj{"connection": ref("Connection"), "parameters": ref(params), "execution": ref("Execution")}
	bundles := obj{"type": "array", "items": ref(bundle)}
	respProps := obj{"bundles": bundles, "meta": obj{"allOf": []any{ref("ExecuteMeta")}, "properties": obj{"module": obj{"const": m.Name}}}}
	required := []string{"bundles", "meta"}
	switch m.Type {
	case manifest.KindSearch:
		answers = "0 to limit bundles, a cursor when more may follow."
		reqProps["cursor"] = obj{"type": "string", "description": "meta.nextCursor of a previous call with the same connection and parameters."}
	case manifest.KindTrigger:
		answers = "0 to limit bundles, oldest first, and the state to save when the cycle commits."
		reqProps["state"] = obj{
			"type": []string{"object", "null"}, "description": "The state of the previous run, as it was returned; absent on the first run.",
		}
		respProps["state"] = obj{"type": "object", "description": "The position to save when the cycle commits, and send back on the next run."}
		required = append(required, "state")
	default:
		answers = "Exactly one bundle."
		bundles["minItems"], bundles["maxItems"] = 1, 1
	}
	return object(reqProps, "connection"), object(respProps, required...), answers
}

// bundleSchema describes one output bundle from the module's interface.
// Every bundle carries every declared field, null when ProfitWell has no
// value; nested objects carry what ProfitWell answers, so others may appear.
func bundleSchema(m manifest.ModuleDoc) obj {
	props := obj{}
	required := make([]string, 0, len(m.Interface))
	for _, f := range m.Interface {
		props[f.Name] = nullable(manifest.FieldSchema(f, false))
		required = append(required, f.Name)
	}
	return obj{"type": "object", "properties": props, "required": required, "description": "One " + m.Label + " bundle."}
}

// nullable lets a schema also take null.
func nullable(s obj) obj {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []string{t, "null"}
	case nil: // already any type
	default:
		return obj{"anyOf": []any{s, obj{"type": "null"}}}
	}
	return s
}
