package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/profitwell-connector/connector/connection/idempotency"
	"github.com/profitwell-connector/connector/connection/profitwell"
	"github.com/profitwell-connector/connector/manifest"
	"github.com/profitwell-connector/connector/modules"
)

// The error types of the contract (Make's own names).
const (
	TypeDataError                 = "DataError"
	TypeInvalidAccessTokenError   = "InvalidAccessTokenError"
	TypeDuplicateDataError        = "DuplicateDataError"
	TypeRateLimitError            = "RateLimitError"
	TypeConnectionError           = "ConnectionError"
	TypeModuleTimeoutError        = "ModuleTimeoutError"
	TypeInvalidConfigurationError = "InvalidConfigurationError"
	TypeRuntimeError              = "RuntimeError"
)

// Problem is the error object of every non-2xx answer.
type Problem struct {
	Type         string             `json:"type"`
	Code         string             `json:"code"`
	Message      string             `json:"message"`
	Retryable    bool               `json:"retryable"`
	RetryAfterMs int64              `json:"retryAfterMs"`
	Fields       []manifest.Problem `json:"fields,omitempty"`
	Upstream     *Upstream          `json:"upstream,omitempty"`
	RequestID    string             `json:"requestId"`

	status int
}

// Upstream tells what ProfitWell answered, when it did.
type Upstream struct {
	Status  int    `json:"status,omitempty"`
	Message string `json:"message,omitempty"`
}

// Errors the API layer raises itself.
var (
	errEngineAuth      = errors.New("engine authentication failed")
	errEngineSignature = errors.New("engine signature refused")
	errNotFound        = errors.New("no such endpoint")
	errMethod          = errors.New("method not allowed")
	errBodyTooLarge    = errors.New("request body too large")
	errBadContentType  = errors.New("unsupported content type")
)

// codeOutcomeUnknown: a write failed in a way that leaves unknown whether
// ProfitWell applied it.
const codeOutcomeUnknown = "OUTCOME_UNKNOWN"

// classify is the one place where a Go error becomes a contract error.
func classify(err error) *Problem {
	var verr *manifest.ValidationError
	var pw *profitwell.Error
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &verr):
		return &Problem{status: http.StatusBadRequest, Type: TypeDataError, Code: "VALIDATION_FAILED",
			Message: validationMessage(verr), Fields: verr.Problems}
	case errors.As(err, &maxBytes), errors.Is(err, errBodyTooLarge):
		return &Problem{status: http.StatusRequestEntityTooLarge, Type: TypeDataError, Code: "BODY_TOO_LARGE",
			Message: "The request body is larger than the connector accepts."}
	case errors.Is(err, errBadContentType):
		return &Problem{status: http.StatusUnsupportedMediaType, Type: TypeDataError, Code: "UNSUPPORTED_MEDIA_TYPE",
			Message: "The request body must be JSON (Content-Type: application/json)."}
	case errors.Is(err, modules.ErrUnknownModule):
		return &Problem{status: http.StatusNotFound, Type: TypeInvalidConfigurationError, Code: "UNKNOWN_MODULE",
			Message: capitalize(err.Error()) + "."}
	case errors.Is(err, modules.ErrUnknownRPC):
		return &Problem{status: http.StatusNotFound, Type: TypeInvalidConfigurationError, Code: "UNKNOWN_RPC",
			Message: capitalize(err.Error()) + "."}
	case errors.Is(err, idempotency.ErrMismatch):
		return &Problem{status: http.StatusUnprocessableEntity, Type: TypeDataError, Code: "IDEMPOTENCY_KEY_REUSED",
			Message: "This Idempotency-Key was already used for a different request; use a new key for a new request."}
	case errors.Is(err, idempotency.ErrInProgress):
		return &Problem{status: http.StatusConflict, Type: TypeConnectionError, Code: "IDEMPOTENCY_IN_PROGRESS",
			Message: "A request with this Idempotency-Key is still running; retry later for its answer.", Retryable: true, RetryAfterMs: 1000}
	case errors.Is(err, errIdempotencyUnavailable):
		return &Problem{status: http.StatusServiceUnavailable, Type: TypeConnectionError, Code: "IDEMPOTENCY_UNAVAILABLE",
			Message: "The idempotency store cannot be reached, so the write was not run.", Retryable: true, RetryAfterMs: 1000}
	case errors.Is(err, errEngineSignature):
		reason, ok := errors.AsType[signatureError](err) // the safe part of the error
		if !ok {
			reason = "it could not be checked"
		}
		return &Problem{status: http.StatusUnauthorized, Type: TypeInvalidConfigurationError, Code: "SIGNATURE_INVALID",
			Message: "The request signature was refused: " + string(reason) + "."}
	case errors.Is(err, errEngineAuth):
		return &Problem{status: http.StatusUnauthorized, Type: TypeInvalidConfigurationError, Code: "ENGINE_UNAUTHORIZED",
			Message: "Missing or wrong engine API key (Authorization: Bearer <key>)."}
	case errors.Is(err, errNotFound):
		return &Problem{status: http.StatusNotFound, Type: TypeInvalidConfigurationError, Code: "NOT_FOUND",
			Message: "No such endpoint."}
	case errors.Is(err, errMethod):
		return &Problem{status: http.StatusMethodNotAllowed, Type: TypeInvalidConfigurationError, Code: "METHOD_NOT_ALLOWED",
			Message: "Method not allowed on this endpoint."}
	case errors.As(err, &pw):
		return classifyUpstream(pw)
	case errors.Is(err, context.DeadlineExceeded):
		return &Problem{status: http.StatusGatewayTimeout, Type: TypeModuleTimeoutError, Code: "DEADLINE_EXCEEDED",
			Message: "The execution did not finish before its deadline.", Retryable: true}
	case errors.Is(err, context.Canceled):
		return &Problem{status: http.StatusServiceUnavailable, Type: TypeConnectionError, Code: "CANCELED",
			Message: "The execution was canceled before it finished.", Retryable: true}
	}
	return &Problem{status: http.StatusInternalServerError, Type: TypeRuntimeError, Code: "INTERNAL",
		Message: "Internal error; the connector's log has the details under this request id."}
}

func classifyUpstream(e *profitwell.Error) *Problem {
	p := &Problem{Upstream: &Upstream{Status: e.Status, Message: e.Message}}
	if e.Status == 0 && e.Message == "" {
		p.Upstream = nil
	}
	detail, unknown := "", "" // unknown: the message when the outcome is unknown
	if e.Message != "" {
		detail = ": " + e.Message
	}
	switch e.Kind {
	case profitwell.KindInvalid:
		p.status, p.Type, p.Code = http.StatusBadRequest, TypeDataError, "UPSTREAM_REJECTED"
		p.Message = "ProfitWell rejected the request" + detail
		for _, f := range e.Fields {
			p.Fields = append(p.Fields, manifest.Problem{Name: camelCase(f.Name), Message: f.Message})
		}
	case profitwell.KindNotFound:
		p.status, p.Type, p.Code = http.StatusBadRequest, TypeDataError, "NOT_FOUND"
		p.Message = "ProfitWell has no such object" + detail
	case profitwell.KindDuplicate:
		p.status, p.Type, p.Code = http.StatusConflict, TypeDuplicateDataError, "DUPLICATE"
		p.Message = "The object already exists in ProfitWell" + detail
	case profitwell.KindUnauthorized:
		p.status, p.Type, p.Code = http.StatusUnauthorized, TypeInvalidAccessTokenError, "INVALID_TOKEN"
		p.Message = "ProfitWell rejected the private token; check the connection."
	case profitwell.KindRateLimited:
		p.status, p.Type, p.Code, p.Retryable = http.StatusTooManyRequests, TypeRateLimitError, "RATE_LIMITED", true
		p.Message = "ProfitWell's rate limit was reached; retry after the indicated wait."
		p.RetryAfterMs = max(e.RetryAfter.Milliseconds(), 1000)
	case profitwell.KindTimeout:
		p.status, p.Type, p.Code, p.Retryable = http.StatusGatewayTimeout, TypeModuleTimeoutError, "DEADLINE_EXCEEDED", true
		p.Message = "ProfitWell did not answer before the execution's deadline."
		unknown = "ProfitWell did not answer before the deadline; the change may or may not have been made. Check before retrying."
	default: // KindUnavailable
		p.status, p.Type, p.Code, p.Retryable = http.StatusServiceUnavailable, TypeConnectionError, "UPSTREAM_UNAVAILABLE", true
		p.Message = "ProfitWell could not be reached or failed" + detail
		unknown = "ProfitWell failed while handling a change; it may or may not have been made. Check before retrying."
		if e.RetryAfter > 0 {
			p.RetryAfterMs = e.RetryAfter.Milliseconds()
		}
	}
	if e.OutcomeUnknown && unknown != "" {
		p.Code, p.Retryable, p.Message = codeOutcomeUnknown, false, unknown
	}
	return p
}

func validationMessage(v *manifest.ValidationError) string {
	if len(v.Problems) == 1 {
		return "Invalid input: " + v.Problems[0].Name + " " + v.Problems[0].Message + "."
	}
	return "Invalid input: " + strconv.Itoa(len(v.Problems)) + " fields have problems (see fields)."
}

// retryAfterHeader renders a wait as whole seconds, rounded up.
func retryAfterHeader(ms int64) string {
	return strconv.FormatInt((ms+999)/1000, 10)
}

// camelCase turns ProfitWell's field names (plan_interval) into the
// connector's parameter names (planInterval).
func camelCase(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = capitalize(parts[i])
	}
	return strings.Join(parts, "")
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
