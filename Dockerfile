# DuckEmbed GPU image: the embed CLI with ONNX Runtime's CUDA provider and the bundled all-MiniLM-L6-v2.
# Build: docker build -t duckembed:0.1.0 .      Run: ./embed.sh (mounts the current folder at /data)

# Build stage: restore and publish from NuGet only, with the same script embed.sh uses locally.
FROM mcr.microsoft.com/dotnet/sdk:10.0.100-noble AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props DuckEmbed.slnx ./
COPY scripts/ scripts/
COPY example/input.duckdb example/config.json example/
COPY src/ src/
RUN scripts/publish.sh /app -r linux-x64 --self-contained true -p:UseAppHost=true -p:OnnxRuntimeFlavor=gpu

# Runtime stage: CUDA 13 + cuDNN 9, what Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31 is built for, and nothing more.
FROM nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04
# ICU: .NET's Unicode normalisation, which the tokenizer's accent stripping needs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libicu74 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home --shell /usr/sbin/nologin embed
COPY --from=build /app /app
ENV HOME=/tmp \
    DOTNET_NOLOGO=1 \
    DEVICE=auto \
    BATCH_SIZE=256
USER embed
WORKDIR /data
ENTRYPOINT ["/app/embed"]
