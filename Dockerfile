# syntax=docker/dockerfile:1
# The connector's image: `make image` (IMAGE=registry/name:tag to name it).
#
# Build: a static binary with the same flags as `make build` (a test in
# deploy/ compares them).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/connector ./cmd/connector

# Run: distroless static (CA certificates and tzdata, no shell), as the
# nonroot user (UID 65532). The connector writes nothing to disk (logs go to
# stdout, state is in memory or Redis), so it runs with a read-only root
# filesystem; probes are HTTP (/healthz, /readyz). Pin the base by digest in
# production.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/connector /connector
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/connector"]
