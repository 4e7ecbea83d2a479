# Builds the nginx module against Debian's nginx-dev and campaignd, runs
SHELL       := /bin/bash
# them (make run), tests them (make test) and measures them (make bench).

NGINX_SRC   ?= /usr/share/nginx/src
NGINX_BIN   ?= /usr/sbin/nginx
BUILD       ?= $(CURDIR)/build
MODULE       = $(BUILD)/ngx_http_campaign_module.so
CAMPAIGND    = $(BUILD)/campaignd
CAMPAIGND_ASAN = $(BUILD)/asan/campaignd

CC          ?= cc
WARN         = -Wall -Wextra -Werror
CFLAGS      ?= -g -O2
CMP_CFLAGS   = $(CFLAGS) $(WARN) -std=gnu99 -Ishared -Ishared/store \
               -D_GNU_SOURCE

SHARED_SRCS  = $(wildcard shared/*.c shared/store/*.c)
SHARED_HDRS  = $(wildcard shared/*.h shared/store/*.h)
SIDECAR_SRCS = $(wildcard sidecar/*.c)
SIDECAR_HDRS = $(wildcard sidecar/*.h)
MODULE_SRCS  = $(wildcard ngx_module/*.c) $(wildcard ngx_module/*.h)
CONSOLE_FILES = $(sort $(wildcard $(addprefix ngx_module/console/*., \
                                 html css js svg)))
CONSOLE_C    = $(BUILD)/addon/console/ngx_http_campaign_console_files.c
OPENAPI      = ngx_module/ngx_http_campaign_openapi.json
OPENAPI_C    = $(BUILD)/addon/console/ngx_http_campaign_api_files.c
UNIT_SRCS    = $(wildcard t/unit/test_*.c)
UNIT_BINS    = $(patsubst t/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))
UNIT_ASAN    = $(patsubst t/unit/%.c,$(BUILD)/unit-asan/%,$(UNIT_SRCS))

LIBS         = -llmdb -ljansson -lpcre2-8
SIDECAR_LIBS = $(LIBS) -lcurl -lcrypto -pthread

# our Test::Nginx subset is used only where the real one is not installed
PROVE_INC   := $(shell perl -MTest::Nginx::Socket -e1 2>/dev/null \
                       || echo "-I t/lib")
TEST_ENV     = TEST_NGINX_BINARY=$(NGINX_BIN) \
               TEST_NGINX_LOAD_MODULES=$(MODULE) \
               CAMPAIGND=$(CAMPAIGND) CMP_STORECTL=$(BUILD)/cmp-storectl

.PHONY: all deps module campaignd unit unit-asan test test-nginx \
        test-campaignd-asan test-browser test-run test-openapi run bench install clean

all: module campaignd

deps:
	@sh .ci/install-deps

module: $(MODULE)

# Debian's own recipe: its configure flags, our build dir, "make modules"
# configure again whenever a source file is added or removed
$(BUILD)/Makefile: config shared shared/store ngx_module ngx_module/console
	mkdir -p $(BUILD)
	cd $(NGINX_SRC) && . ./conf_flags && ./configure \
	    --with-cc-opt="$$(dpkg-buildflags --get CFLAGS) -fPIC \
	        $$(dpkg-buildflags --get CPPFLAGS) $(WARN)" \
	    --with-ld-opt="$$(dpkg-buildflags --get LDFLAGS) -fPIC" \
	    "$${NGX_CONF_FLAGS[@]}" --add-dynamic-module=$(CURDIR) \
	    --builddir=$(BUILD) > $(BUILD)/configure.log 2>&1 \
	    || (cat $(BUILD)/configure.log; exit 1)

# the console's pages, turned into C again whenever one of them changes
$(CONSOLE_C): $(BUILD)/Makefile $(CONSOLE_FILES) \
              ngx_module/ngx_http_campaign_embed.sh
	sh ngx_module/ngx_http_campaign_embed.sh $@ \
	    ngx_http_campaign_console_files $(CONSOLE_FILES)

$(OPENAPI_C): $(BUILD)/Makefile $(OPENAPI) ngx_module/ngx_http_campaign_embed.sh
	sh ngx_module/ngx_http_campaign_embed.sh $@ ngx_http_campaign_api_files \
	    $(OPENAPI)

$(MODULE): $(BUILD)/Makefile $(CONSOLE_C) $(OPENAPI_C) $(MODULE_SRCS) \
           $(SHARED_SRCS) $(SHARED_HDRS)
	$(MAKE) -f $(BUILD)/Makefile -C $(NGINX_SRC) modules

campaignd: $(CAMPAIGND) $(BUILD)/cmp-storectl

# a test tool: moves a store into states only time or campaignd reach
$(BUILD)/cmp-storectl: t/tools/cmp_storectl.c $(SHARED_SRCS) $(SHARED_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CMP_CFLAGS) -o $@ $< $(SHARED_SRCS) $(LIBS)

$(CAMPAIGND): $(SIDECAR_SRCS) $(SIDECAR_HDRS) $(SHARED_SRCS) $(SHARED_HDRS)
	@mkdir -p $(BUILD)
	$(CC) $(CMP_CFLAGS) $(CPPFLAGS) -Isidecar -o $@ $(SIDECAR_SRCS) \
	    $(SHARED_SRCS) $(LDFLAGS) $(SIDECAR_LIBS)

$(BUILD)/unit/%: t/unit/%.c $(SHARED_SRCS) $(SHARED_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CMP_CFLAGS) -o $@ $< $(SHARED_SRCS) $(LIBS) -lcmocka

$(BUILD)/unit-asan/%: t/unit/%.c $(SHARED_SRCS) $(SHARED_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CMP_CFLAGS) -O1 -fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all \
	    -o $@ $< $(SHARED_SRCS) $(LIBS) -lcmocka

# the network thread's test links it, and libcurl, besides the shared code
$(BUILD)/unit/test_net: t/unit/test_net.c sidecar/cmp_net.c sidecar/cmp_net.h
	@mkdir -p $(dir $@)
	$(CC) $(CMP_CFLAGS) -Isidecar -o $@ $< sidecar/cmp_net.c -lcurl \
	    -pthread -lcmocka

$(BUILD)/unit-asan/test_net: t/unit/test_net.c sidecar/cmp_net.c \
                             sidecar/cmp_net.h
	@mkdir -p $(dir $@)
	$(CC) $(CMP_CFLAGS) -Isidecar -O1 -fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all \
	    -o $@ $< sidecar/cmp_net.c -lcurl -pthread -lcmocka

unit: $(UNIT_BINS)
	@for t in $(UNIT_BINS); do echo "== $$t"; $$t || exit 1; done

unit-asan: $(UNIT_ASAN)
	@for t in $(UNIT_ASAN); do echo "== $$t (asan+ubsan)"; \
	    $$t || exit 1; done

test-nginx: all
	$(TEST_ENV) prove $(PROVE_INC) -r t/

# campaignd under ASan and UBSan, run by its own suites: a memory error or
# undefined behaviour stops it, and the suites waiting on it fail
$(CAMPAIGND_ASAN): $(SIDECAR_SRCS) $(SIDECAR_HDRS) $(SHARED_SRCS) \
                   $(SHARED_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CMP_CFLAGS) -O1 -fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all -Isidecar \
	    -o $@ $(SIDECAR_SRCS) $(SHARED_SRCS) $(SIDECAR_LIBS)

test-campaignd-asan: all $(CAMPAIGND_ASAN)
	ASAN_OPTIONS=detect_leaks=0 $(TEST_ENV) CAMPAIGND=$(CAMPAIGND_ASAN) \
	    prove $(PROVE_INC) t/061-dispatch.t t/062-crash-recovery.t \
	    t/063-viber-lanes.t t/064-conversation.t

# the console in headless Chromium, driven by Selenium from Debian's own
# Python (the first python3 on PATH may lack Debian's selenium)
test-browser: all
	$(TEST_ENV) /usr/bin/python3 t/browser/run.py

# the OpenAPI document against the route tables and a live module
test-openapi: all
	bash t/openapi/run.sh "$(NGINX_BIN)" "$(MODULE)"

# make run itself, on a pseudo-terminal: Ctrl-C, a dying process, the demo
test-run: all
	/usr/bin/python3 t/run/test_make_run.py

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) fuzz FUZZ_ARGS="-seed=1 -runs=150000"
	$(MAKE) test-nginx
	$(MAKE) test-campaignd-asan
	$(MAKE) test-openapi
	$(MAKE) test-browser
	$(MAKE) test-run
	$(MAKE) test-deb

run: deps
	$(MAKE) all
	DEMO="$(DEMO)" bash conf/run.sh "$(NGINX_BIN)" "$(MODULE)" \
	    "$(CAMPAIGND)"

# make bench includes the PostgreSQL claim prototype (its server comes
# from Debian with it); BENCH_PG= leaves it out, make test never runs it
BENCH_PG    ?= 1

bench:
	BENCH_PG=$(BENCH_PG) sh .ci/install-deps
	$(MAKE) all
	BENCH_PG=$(BENCH_PG) bash t/bench/run.sh "$(NGINX_BIN)" "$(MODULE)" \
	    "$(CAMPAIGND)"

install: all
	install -D -m 0644 $(MODULE) \
	    $(DESTDIR)/usr/lib/nginx/modules/ngx_http_campaign_module.so
	install -D -m 0755 $(CAMPAIGND) $(DESTDIR)/usr/local/sbin/campaignd

clean:
	rm -rf $(BUILD) t/servroot t/servroot-* var

# Debian packages from debian/, into build/deb/; dpkg-buildpackage runs in
# a copy of the tree, which it writes to and whose parent takes the .debs
DEB_DIR      = $(BUILD)/deb

.PHONY: deb test-deb

deb: deps
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_DIR)/src/nginx-campaign
	git ls-files -z --cached --others --exclude-standard \
	    | tar --null -T - --ignore-failed-read -cf - \
	    | tar -C $(DEB_DIR)/src/nginx-campaign -xf -
	cd $(DEB_DIR)/src/nginx-campaign && dpkg-buildpackage -us -uc -b
	mv $(DEB_DIR)/src/*.deb $(DEB_DIR)/src/*.buildinfo \
	    $(DEB_DIR)/src/*.changes $(DEB_DIR)/
	rm -rf $(DEB_DIR)/src

# installs both packages on this machine, tries them and purges them (root)
test-deb: deb
	bash t/deb/run.sh $(DEB_DIR)

# libFuzzer over the flow parser and validator (t/fuzz/), run briefly;
# new inputs it finds go to the build dir, the seeds stay in t/fuzz/corpus
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 20
# make test runs a fixed seed and count, so that CI is repeatable
FUZZ_ARGS    ?= -max_total_time=$(FUZZ_TIME)
FUZZ_BIN     = $(BUILD)/fuzz/fuzz_flow

.PHONY: fuzz

$(FUZZ_BIN): t/fuzz/fuzz_flow.c $(SHARED_SRCS) $(SHARED_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -Wall -Wextra -std=gnu99 -Ishared -Ishared/store \
	    -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all \
	    -o $@ $< $(SHARED_SRCS) $(LIBS)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) $(FUZZ_ARGS) -max_len=8192 -timeout=10 \
	    $(BUILD)/fuzz/corpus t/fuzz/corpus

# the webhook parsers, and their events applied to a scratch store;
# seeds in t/fuzz/corpus-webhook ("make fuzz" runs it too)
FUZZ_WEBHOOK = $(BUILD)/fuzz/fuzz_webhook

.PHONY: fuzz-webhook

$(FUZZ_WEBHOOK): t/fuzz/fuzz_webhook.c $(SHARED_SRCS) $(SHARED_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -Wall -Wextra -std=gnu99 -Ishared -Ishared/store \
	    -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all \
	    -o $@ $< $(SHARED_SRCS) $(LIBS)

fuzz-webhook: $(FUZZ_WEBHOOK)
	@mkdir -p $(BUILD)/fuzz/corpus-webhook
	$(FUZZ_WEBHOOK) $(FUZZ_ARGS) -max_len=8192 -timeout=10 \
	    $(BUILD)/fuzz/corpus-webhook t/fuzz/corpus-webhook

fuzz: fuzz-webhook
