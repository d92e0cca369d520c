# The compiled moodle-load binary in a small image, for CI jobs and Kubernetes Jobs.
# Build the binary first on a connected machine (`deno task compile`, or with DENORT_BIN), then:
#   docker build -t moodle-load .            # linux x86_64; --build-arg TARGET=aarch64-unknown-linux-gnu on arm
# `deno compile` output links against glibc, so the base is Debian slim, not Alpine/distroless-static.
# postgresql-client gives `db snapshot` / `db restore` their pg_dump and pg_restore.
FROM debian:bookworm-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates postgresql-client \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir /runs && chown 65534:65534 /runs
ARG TARGET=x86_64-unknown-linux-gnu
COPY dist/moodle-load-${TARGET} /usr/local/bin/moodle-load
# glibc gives freed 64 KB read buffers back to the system instead of keeping them (10,000 logged-in users:
# RSS ~200 MB instead of ~265 MB; `deno task bench users` measures both). Must be set before the process starts.
ENV MALLOC_MMAP_THRESHOLD_=65536
# Results go to /runs (mount a volume or copy them out with an artifact step).
WORKDIR /runs
USER 65534:65534
ENTRYPOINT ["moodle-load"]
CMD ["--help"]
