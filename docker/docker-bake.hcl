# Builds the three service images from docker/Dockerfile in one go:
#
#   REGISTRY=registry.example.com/symbolon TAG=0.1.0 docker buildx bake -f docker/docker-bake.hcl
#   REGISTRY=... TAG=... docker buildx bake -f docker/docker-bake.hcl --push
#
# Run it from the repository root (the build context). Tags are always explicit: there is
# no `latest`, and k8s/base/kustomization.yaml pins the same TAG under `images:`.

variable "REGISTRY" {
  default = "registry.example.com/symbolon"
}

variable "TAG" {
  default = "0.1.0"
}

group "default" {
  targets = ["customers", "labs", "supplychain"]
}

target "_common" {
  context    = "."
  dockerfile = "docker/Dockerfile"
  platforms  = ["linux/amd64"]
}

target "customers" {
  inherits = ["_common"]
  target   = "customers"
  tags     = ["${REGISTRY}/customers:${TAG}"]
}

target "labs" {
  inherits = ["_common"]
  target   = "labs"
  tags     = ["${REGISTRY}/labs:${TAG}"]
}

target "supplychain" {
  inherits = ["_common"]
  target   = "supplychain"
  tags     = ["${REGISTRY}/supplychain:${TAG}"]
}
