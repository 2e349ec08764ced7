# HSI Fusion — developer commands. Every target does its own set-up first (idempotent).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export QT_QPA_PLATFORM ?= offscreen
export QGIS_PLUGINPATH := $(CURDIR)/build/plugins
QT6_CHECK := build/qt6check/bin/pyqt5to6
PLUGIN_FILES := metadata.txt __init__.py plugin.py engine_path.py icon.svg requirements.txt installer \
                README.md LICENSE algorithms fusion_core ui models scripts/setup.sh

.PHONY: setup plugin demo lint test package benchmark compat clean

setup:
	@bash scripts/setup.sh

# The plugin folder QGIS loads is named hsi_fusion: a link to this checkout, enabled for qgis_process.
plugin: setup
	@mkdir -p build/plugins && ln -sfn "$(CURDIR)" build/plugins/hsi_fusion
	@qgis_process.bin plugins enable hsi_fusion >/dev/null 2>&1 || true

demo: plugin
	@$(PY) scripts/demo.py --out demo_output

# ruff (pyflakes, import order, pycodestyle, bugbear, naming) over the repo and mypy on the engine,
# both configured in pyproject.toml; then the plugin's QGIS 4 (Qt6) readiness: QGIS's PyQt5->PyQt6
# migration script run clean over what the ZIP ships, and QGIS's enums scoped (scripts/check_qt6.py).
lint: setup $(QT6_CHECK)
	@$(PY) -m ruff check .
	@$(PY) -m mypy
	@$(PY) scripts/check_qt6.py $(QT6_CHECK) $(PLUGIN_FILES)

# The migration script's own environment (requirements-qt6check.txt). Its package asks for
# Python >= 3.12; it runs on Debian 12's 3.11, hence --ignore-requires-python.
$(QT6_CHECK): requirements-qt6check.txt
	@rm -rf build/qt6check && python3 -m venv build/qt6check
	@build/qt6check/bin/python -m pip install -q --disable-pip-version-check --ignore-requires-python \
		-r requirements-qt6check.txt
	@touch $@

test: lint plugin
	@$(PY) -m pytest tests

benchmark: setup
	@$(PY) benchmarks/run_all.py

# QGIS-side tests and the demo in Debian 13 and 14 chroots with their QGIS (root; not in CI).
compat:
	@bash scripts/compat.sh

package:
	@rm -rf build/package && mkdir -p build/package/hsi_fusion
	@tar --exclude='__pycache__' --exclude='*.pyc' -cf - $(PLUGIN_FILES) | tar -xf - -C build/package/hsi_fusion
	@rm -f hsi_fusion.zip && cd build/package && python3 -m zipfile -c ../../hsi_fusion.zip hsi_fusion
	@echo "built hsi_fusion.zip (install with Plugins ▸ Install from ZIP)"

clean:
	rm -rf build demo_output hsi_fusion.zip .pytest_cache .mypy_cache .ruff_cache
