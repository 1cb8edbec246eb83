# strobe as a container image, for hosts where nothing can be installed:
#   docker build -t strobe .
#   docker run --rm --privileged --pid=host -v /sys:/sys:ro \
#     -v /sys/kernel/tracing:/sys/kernel/tracing -v /sys/kernel/debug:/sys/kernel/debug \
#     strobe -e 'tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }'
# compose.yaml has the same with a results volume; README.md "Container image".
# `make test-image` checks the final stage's contents without docker.

# ---- build: Debian 12 with the build dependencies ---------------------------
FROM debian:bookworm AS build
# The subset of the Makefile's DEB_PACKAGES the build needs (not the tests'
# bpftrace, clang, JDK, cmocka).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      gcc g++ make pkg-config binutils libc6-dev linux-libc-dev scdoc \
      llvm-14-dev libbpf-dev libelf-dev zlib1g-dev libinih-dev liblua5.4-dev liblzma-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# RELEASE=1: a user's build, warnings do not stop it. PREFIX=/usr at build
# time too (the modules' fallback path is compiled in).
RUN make -j"$(nproc)" RELEASE=1 PREFIX=/usr all \
 && make RELEASE=1 PREFIX=/usr DESTDIR=/out install

# ---- final: the runtime packages only -----------------------------------
FROM debian:bookworm-slim
# packaging/runtime-packages.txt is the one list (tests/image/run builds the
# lane's rootfs from it; tests/runtime/image.test checks it against ldd):
# '#' starts a comment, the rest are package names.
COPY packaging/runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update \
 && sed 's/#.*//' /tmp/runtime-packages.txt | DEBIAN_FRONTEND=noninteractive xargs \
      apt-get install -y --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt
COPY --from=build /out/ /
WORKDIR /data
ENTRYPOINT ["strobe"]
CMD ["-h"]
