module example.com/shop

go 1.21

toolchain go1.21.5

require (
	github.com/gin-gonic/gin v1.9.0
	github.com/pkg/errors v0.9.1
	golang.org/x/net v0.10.0 // indirect
	example.com/shop/internal v0.0.0-00010101000000-000000000000
	gopkg.in/yaml.v3 v3.0.0 // indirect; pinned by a test
)

require github.com/google/uuid v1.3.0

replace github.com/pkg/errors => github.com/pkg/errors v0.8.1

replace (
	golang.org/x/net v0.10.0 => golang.org/x/net v0.17.0
	golang.org/x/net v0.9.0 => golang.org/x/net v0.9.9
	example.com/shop/internal => ./internal
)

exclude golang.org/x/crypto v0.1.0

retract v1.0.0 // published by mistake
