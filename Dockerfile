# tessera server image: docker build -t tessera:latest .   (deploy/kubernetes/statefulset.yaml runs it)
# Build stage: the Swift toolchain plus the -dev packages Tessera links (docs/operations.md, "Kubernetes").
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends liblz4-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product tessera --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked \
    && cp "$(swift build -c release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked --show-bin-path)/tessera" /tessera

# Runtime stage: only the shared libraries the binary needs.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends liblz4-1 libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 tessera && useradd --uid 10001 --gid 10001 --no-create-home tessera \
    && mkdir -p /var/lib/tessera && chown tessera:tessera /var/lib/tessera
COPY --from=build /tessera /usr/local/bin/tessera
USER tessera
EXPOSE 7000 9000
VOLUME /var/lib/tessera
ENTRYPOINT ["/usr/local/bin/tessera"]
CMD ["server", "--help"]
