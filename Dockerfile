# DuckEmbed GPU image: the embed CLI with ONNX Runtime's CUDA provider and the bundled all-MiniLM-L6-v2.
# Build: docker build -t duckembed:0.1.0 .      Run: ./embed.sh (mounts the current folder at /data)

# Build stage: restore and publish from NuGet only, with the same script embed.sh uses locally.
FROM mcr.microsoft.com/dotnet/sdk:10.0.100-noble AS build
# Marks the build stage's images (left untagged by the classic builder), so that they can be pruned alone:
# docker image prune --filter label=duckembed.stage=build
LABEL duckembed.stage=build
WORKDIR /src
# Restore first, from the project files alone, so that a change to the sources reuses the restored packages
# (the CUDA build of ONNX Runtime is hundreds of MB).
COPY Directory.Build.props Directory.Packages.props DuckEmbed.slnx ./
COPY src/DuckEmbed.Processor/DuckEmbed.Processor.csproj src/DuckEmbed.Processor/
COPY src/DuckEmbed.Onnx/DuckEmbed.Onnx.csproj src/DuckEmbed.Onnx/
COPY src/DuckEmbed.Cli/DuckEmbed.Cli.csproj src/DuckEmbed.Cli/
RUN dotnet restore src/DuckEmbed.Cli/DuckEmbed.Cli.csproj -r linux-x64 -p:OnnxRuntimeFlavor=gpu
COPY scripts/ scripts/
COPY example/input.duckdb example/config.json example/
COPY src/ src/
RUN scripts/publish.sh /app -r linux-x64 --self-contained true -p:UseAppHost=true -p:OnnxRuntimeFlavor=gpu

# Runtime stage: CUDA 13 + cuDNN 9, what Microsoft.ML.OnnxRuntime.Gpu.Linux 1.32 (as 1.31) is built for, and what a
# self-contained .NET app needs on top (the CUDA images are not .NET images): ICU (Unicode normalisation, which the
# tokenizer's accent stripping needs), OpenSSL, CA certificates, time zones, zlib. Package names differ between
# releases (libicu74 and libssl3t64 on Ubuntu 24.04, libicu72 and libssl3 on Debian 12): the newest the base's apt
# offers is taken, so the same file builds on the real base and on a Debian stand-in.
FROM nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04
RUN apt-get update \
 && icu=$(apt-cache search --names-only '^libicu[0-9]+$' | cut -d' ' -f1 | sort -V | tail -n 1) \
 && ssl=$(apt-cache search --names-only '^libssl3(t64)?$' | cut -d' ' -f1 | sort | tail -n 1) \
 && test -n "$icu" && test -n "$ssl" \
 && apt-get install -y --no-install-recommends "$icu" "$ssl" ca-certificates tzdata zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin embed
COPY --from=build /app /app
# compute: the CUDA driver library; utility: nvidia-smi, which check_benchmark reads the GPU memory from. Said here
# because this image is not NVIDIA's, whose base images set it.
ENV HOME=/tmp \
    DOTNET_NOLOGO=1 \
    DEVICE=auto \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
USER embed
WORKDIR /data
ENTRYPOINT ["/app/embed"]
