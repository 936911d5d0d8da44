# syntax=docker/dockerfile:1
# Build: a static binary with the same flags as `make build`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o /out/connector ./cmd/connector

# Run: distroless, non-root (UID 65532), nothing writable needed.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/connector /connector
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/connector"]
