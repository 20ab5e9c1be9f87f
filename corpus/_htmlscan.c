/* One streaming pass over an HTML page: visible text (main content by default) and <a href> targets.
 *
 * Why hand-written: the fast tier reads every page of the pool, and building a DOM is most of the
 * cost of every library that extracts text (lexbor's parse is ~0.9 ms of resiliparse's ~1.5 ms on
 * a 150 KB page; trafilatura on lxml ~20 ms). Text with main-content rules needs only a tokenizer
 * and a stack of open elements, not a tree; no library offers that pass with those rules. This
 * file is that pass, in linear time with bounded memory (a fixed-depth stack, a bounded end-tag
 * search), so it runs in-process, without the child process that resiliparse needs to contain
 * super-linear parses. The exact text of the selected pages comes later from the high-fidelity
 * math extractor (corpus.extract), not from here.
 *
 * Input: UTF-8 bytes (the caller decodes other charsets first). Output: UTF-8 text, block
 * structure as newlines, white space collapsed outside <pre>, character references decoded (the
 * named ones from the table the Python side passes in: html.entities.html5).
 *
 * The main-content rules (listed in corpus/text_fast.py, MAIN_CONTENT_RULES) are resiliparse's
 * (2.x), restated over class/id words. Rules that need to see past an element's start (link
 * clusters, a unique article-body element) are decided later by cutting output ranges: see
 * "Main-content decisions" below.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ output buffer */

typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} Buf;

static int buf_reserve(Buf *b, size_t extra) {
    if (b->len + extra <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    char *p = PyMem_Realloc(b->p, cap);
    if (!p) { b->oom = 1; return 0; }
    b->p = p;
    b->cap = cap;
    return 1;
}

static void buf_put(Buf *b, const char *s, size_t n) {
    if (!buf_reserve(b, n)) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* ------------------------------------------------------------------ tags */

enum {
    F_VOID = 1 << 0,    /* never has content, never pushed */
    F_BLOCK = 1 << 1,   /* starts/ends a line */
    F_PARA = 1 << 2,    /* p, h1-h6: a blank line after */
    F_RAW = 1 << 3,     /* raw text: content runs to the matching end tag, unparsed */
    F_SKIP = 1 << 4,    /* content never shown (head, script, forms, media, svg, ...) */
    F_CLOSE_P = 1 << 5, /* closes an open <p> (block-level start tags) */
};

enum {
    T_OTHER = 0, T_A, T_ARTICLE, T_ASIDE, T_BASE, T_BODY, T_BR, T_DD, T_DIV, T_DL, T_DT, T_FOOTER,
    T_HEAD, T_HEADER, T_HTML, T_LI, T_MAIN, T_NAV, T_OL, T_OPTION, T_P, T_PRE, T_SECTION, T_SELECT,
    T_SPAN, T_TABLE, T_TBODY, T_TD, T_TFOOT, T_TH, T_THEAD, T_TR, T_UL, T_MENU, T_HEAD_OK, T_H1, T_TIME, T_SVG,
};

typedef struct {
    const char *name;
    uint8_t id;
    uint16_t flags;
} TagInfo;

#define BLK (F_BLOCK | F_CLOSE_P)
static const TagInfo TAGS[] = {
    {"a", T_A, 0}, {"address", T_OTHER, BLK}, {"area", T_OTHER, F_VOID}, {"article", T_ARTICLE, BLK},
    {"aside", T_ASIDE, BLK}, {"audio", T_OTHER, F_SKIP}, {"base", T_BASE, F_VOID}, {"basefont", T_OTHER, F_VOID},
    {"bgsound", T_OTHER, F_VOID}, {"blockquote", T_OTHER, BLK}, {"body", T_BODY, F_BLOCK}, {"br", T_BR, F_VOID},
    {"button", T_OTHER, F_SKIP}, {"canvas", T_OTHER, F_SKIP}, {"caption", T_OTHER, F_BLOCK},
    {"center", T_OTHER, BLK}, {"col", T_OTHER, F_VOID}, {"dd", T_DD, BLK}, {"details", T_OTHER, BLK},
    {"dialog", T_OTHER, BLK}, {"dir", T_OTHER, BLK}, {"div", T_DIV, BLK}, {"dl", T_DL, BLK}, {"dt", T_DT, BLK},
    {"embed", T_OTHER, F_VOID}, {"fieldset", T_OTHER, BLK}, {"figcaption", T_OTHER, BLK | F_SKIP},
    {"figure", T_OTHER, BLK | F_SKIP}, {"footer", T_FOOTER, BLK}, {"form", T_OTHER, BLK}, {"frame", T_OTHER, F_VOID},
    {"frameset", T_OTHER, F_SKIP}, {"h1", T_H1, BLK | F_PARA}, {"h2", T_OTHER, BLK | F_PARA},
    {"h3", T_OTHER, BLK | F_PARA}, {"h4", T_OTHER, BLK | F_PARA}, {"h5", T_OTHER, BLK | F_PARA},
    {"h6", T_OTHER, BLK | F_PARA}, {"head", T_HEAD, F_SKIP}, {"header", T_HEADER, BLK},
    {"hgroup", T_OTHER, BLK}, {"hr", T_OTHER, F_VOID | BLK}, {"html", T_HTML, 0},
    {"iframe", T_OTHER, F_RAW | F_SKIP}, {"img", T_OTHER, F_VOID}, {"input", T_OTHER, F_VOID},
    {"keygen", T_OTHER, F_VOID}, {"label", T_OTHER, F_SKIP}, {"legend", T_OTHER, F_BLOCK}, {"li", T_LI, BLK},
    {"link", T_HEAD_OK, F_VOID}, {"listing", T_OTHER, BLK}, {"main", T_MAIN, BLK}, {"map", T_OTHER, 0},
    {"menu", T_MENU, BLK}, {"meta", T_HEAD_OK, F_VOID}, {"nav", T_NAV, BLK},
    {"noembed", T_OTHER, F_RAW | F_SKIP}, {"noframes", T_OTHER, F_RAW | F_SKIP},
    {"noscript", T_HEAD_OK, F_RAW | F_SKIP}, {"object", T_OTHER, F_SKIP}, {"ol", T_OL, BLK},
    {"option", T_OPTION, F_BLOCK | F_SKIP}, {"p", T_P, BLK | F_PARA}, {"param", T_OTHER, F_VOID},
    {"plaintext", T_OTHER, F_RAW | F_SKIP}, {"pre", T_PRE, BLK}, {"script", T_HEAD_OK, F_RAW | F_SKIP},
    {"section", T_SECTION, BLK}, {"select", T_SELECT, F_SKIP}, {"source", T_OTHER, F_VOID},
    {"span", T_SPAN, 0}, {"style", T_HEAD_OK, F_RAW | F_SKIP}, {"svg", T_SVG, F_SKIP},
    {"table", T_TABLE, BLK}, {"tbody", T_TBODY, F_BLOCK}, {"td", T_TD, 0}, {"template", T_HEAD_OK, F_SKIP},
    {"textarea", T_OTHER, F_RAW | F_SKIP}, {"tfoot", T_TFOOT, F_BLOCK}, {"th", T_TH, 0},
    {"thead", T_THEAD, F_BLOCK}, {"time", T_TIME, 0}, {"title", T_HEAD_OK, F_RAW | F_SKIP}, {"tr", T_TR, F_BLOCK},
    {"track", T_OTHER, F_VOID}, {"ul", T_UL, BLK}, {"video", T_OTHER, F_SKIP}, {"wbr", T_OTHER, F_VOID},
    {"xmp", T_OTHER, F_RAW | BLK},
};
#undef BLK
#define NTAGS (sizeof(TAGS) / sizeof(TAGS[0]))
#define TAB_SIZE 512 /* open addressing by name hash; > 4x the tags */
static int16_t tag_table[TAB_SIZE];
static uint32_t tag_hash[NTAGS];

static inline char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }
static inline int is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f'; }
static inline int is_alpha(char c) { return (c | 32) >= 'a' && (c | 32) <= 'z'; }

static uint32_t name_hash(const char *s, size_t n) { /* FNV-1a over the lower-cased name */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)lower(s[i])) * 16777619u;
    return h;
}

static void init_tags(void) {
    for (int i = 0; i < TAB_SIZE; i++) tag_table[i] = -1;
    for (size_t t = 0; t < NTAGS; t++) {
        uint32_t h = name_hash(TAGS[t].name, strlen(TAGS[t].name));
        tag_hash[t] = h;
        uint32_t slot = h & (TAB_SIZE - 1);
        while (tag_table[slot] >= 0) slot = (slot + 1) & (TAB_SIZE - 1);
        tag_table[slot] = (int16_t)t;
    }
}

static const TagInfo *lookup_tag(const char *s, size_t n, uint32_t h) {
    uint32_t slot = h & (TAB_SIZE - 1);
    while (tag_table[slot] >= 0) {
        const TagInfo *t = &TAGS[tag_table[slot]];
        if (tag_hash[tag_table[slot]] == h && strlen(t->name) == n) {
            size_t i = 0;
            while (i < n && lower(s[i]) == t->name[i]) i++;
            if (i == n) return t;
        }
        slot = (slot + 1) & (TAB_SIZE - 1);
    }
    return NULL;
}

/* ------------------------------------------------------------------ character references */

/* Named references, sorted by name (without '&'), from html.entities.html5 via set_entities(). */
typedef struct {
    char name[40];
    uint8_t name_len;
    char value[8];
    uint8_t value_len;
} Entity;
static Entity *entities = NULL;
static Py_ssize_t n_entities = 0;

static int entity_cmp(const char *s, size_t n, const Entity *e) {
    size_t m = n < e->name_len ? n : e->name_len;
    int c = memcmp(s, e->name, m);
    if (c) return c;
    return (n > e->name_len) - (n < e->name_len);
}

static const Entity *find_entity(const char *s, size_t n) {
    Py_ssize_t lo = 0, hi = n_entities - 1;
    while (lo <= hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        int c = entity_cmp(s, n, &entities[mid]);
        if (!c) return &entities[mid];
        if (c < 0) hi = mid - 1; else lo = mid + 1;
    }
    return NULL;
}

static size_t put_utf8(char *o, uint32_t cp) {
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 63)); o[2] = (char)(0x80 | (cp & 63));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 63));
    o[2] = (char)(0x80 | ((cp >> 6) & 63)); o[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* HTML5: numeric references 0x80-0x9F name windows-1252 characters. */
static const uint16_t C1[32] = {0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030,
    0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178};

/* Decode the reference at s[0] == '&' into out (<= 8 bytes); returns the input bytes consumed
 * (0: not a reference, the '&' is literal). */
static size_t decode_ref(const char *s, size_t n, char *out, size_t *out_len) {
    if (n < 3) return 0;
    if (s[1] == '#') {
        size_t i = 2;
        int hex = 0;
        if (i < n && (s[i] == 'x' || s[i] == 'X')) { hex = 1; i++; }
        size_t start = i;
        uint32_t cp = 0;
        int big = 0;
        while (i < n) {
            char c = s[i];
            int d;
            if (c >= '0' && c <= '9') d = c - '0';
            else if (hex && (c | 32) >= 'a' && (c | 32) <= 'f') d = (c | 32) - 'a' + 10;
            else break;
            if (cp > 0x10FFFF) big = 1; else cp = cp * (hex ? 16 : 10) + (uint32_t)d;
            i++;
        }
        if (i == start) return 0;
        if (i < n && s[i] == ';') i++;
        if (big || cp > 0x10FFFF || cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
        else if (cp >= 0x80 && cp <= 0x9F) cp = C1[cp - 0x80];
        *out_len = put_utf8(out, cp);
        return i;
    }
    /* named: `&name;`, else the longest legacy name (at most 6 letters, no ';') it starts with */
    size_t i = 1;
    while (i < n && i < 40 && (is_alpha(s[i]) || (s[i] >= '0' && s[i] <= '9'))) i++;
    const Entity *e = NULL;
    size_t used = 0;
    if (i < n && s[i] == ';' && (e = find_entity(s + 1, i))) used = i + 1;
    for (size_t k = i - 1 < 6 ? i - 1 : 6; !e && k >= 2; k--)
        if ((e = find_entity(s + 1, k))) used = k + 1;
    if (!e) return 0;
    memcpy(out, e->value, e->value_len);
    *out_len = e->value_len;
    return used;
}

/* ------------------------------------------------------------------ text assembly */

typedef struct {
    Buf out;
    int brk;    /* pending break: 0 none, 1 space, 2 tab (table cell), 3 newline, 4 blank line */
    int bullet; /* a list item started: "• " before its first text */
    int pre;    /* open <pre> elements */
    int in_link;       /* open <a> elements */
    size_t link_bytes; /* output bytes written inside <a> (for link-cluster checks) */
} Text;

static inline void want(Text *t, int brk) { if (brk > t->brk) t->brk = brk; }

/* The output only grows (elements record offsets into it); spaces before a newline are removed
 * when the text is composed. */
static void flush_break(Text *t) {
    if (t->out.len) {
        if (t->brk >= 3) {
            buf_put(&t->out, "\n\n", t->brk == 4 ? 2 : 1);
        } else if (t->brk == 2) {
            buf_put(&t->out, "\t", 1);
        } else if (t->brk == 1 && t->out.p[t->out.len - 1] != '\n') {
            buf_put(&t->out, " ", 1);
        }
    }
    if (t->bullet) {
        buf_put(&t->out, "\xe2\x80\xa2 ", 4);
        t->bullet = 0;
    }
    t->brk = 0;
}

/* Append text content s[0:n]: collapse white space (outside <pre>), decode references, drop
 * private-use characters (icon fonts). */
static void add_text_(Text *t, const char *s, size_t n);
static void add_text(Text *t, const char *s, size_t n) {
    size_t before = t->out.len;
    add_text_(t, s, n);
    if (t->in_link) t->link_bytes += t->out.len - before;
}

static void add_text_(Text *t, const char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        if (is_ws(c) && !t->pre) {
            want(t, 1);
            i++;
            continue;
        }
        if (((uint8_t)c == 0xEE || ((uint8_t)c == 0xEF && i + 1 < n && (uint8_t)s[i + 1] <= 0xA3)) && i + 2 < n) {
            i += 3; /* U+E000..U+F8FF: private use (icon fonts), dropped before any break is written */
            continue;
        }
        if (t->brk || t->bullet) flush_break(t);
        if (!buf_reserve(&t->out, 8)) return;
        if (c == '&') {
            char tmp[8];
            size_t len = 0, used = decode_ref(s + i, n - i, tmp, &len);
            if (used) {
                buf_put(&t->out, tmp, len);
                i += used;
                continue;
            }
        } else if (c == '\r') { /* in <pre>: CR LF and a lone CR are line feeds (HTML input rules) */
            if (i + 1 >= n || s[i + 1] != '\n') buf_put(&t->out, "\n", 1);
            i++;
            continue;
        }
        /* copy a run of ordinary bytes at once */
        size_t j = i + 1;
        while (j < n) {
            char d = s[j];
            if (is_ws(d) || d == '&' || (uint8_t)d == 0xEE || (uint8_t)d == 0xEF) break;
            j++;
        }
        buf_put(&t->out, s + i, j - i);
        i = j;
    }
}

/* ------------------------------------------------------------------ attributes */

typedef struct {
    const char *cls, *id, *role, *style, *aria_hidden, *aria_expanded, *rel, *itemprop, *href;
    size_t cls_n, id_n, role_n, style_n, aria_hidden_n, aria_expanded_n, rel_n, itemprop_n, href_n;
    int hidden, data_ad;
} Attrs;

static int name_is(const char *s, size_t n, const char *lit) {
    size_t m = strlen(lit);
    if (n != m) return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s[i]) != lit[i]) return 0;
    return 1;
}

static int value_is(const char *s, size_t n, const char *lit) {
    while (n && is_ws(*s)) { s++; n--; }
    while (n && is_ws(s[n - 1])) n--;
    return name_is(s, n, lit);
}

/* ------------------------------------------------------------------ main-content rules */

/* A class or id value is read word by word (white space), each word lower-cased and split into
 * parts at '-' and '_': `site-footer` is the parts site, footer. Every rule below asks about
 * words or parts, so "footer" matches `footer`, `site-footer` and `footer_links` but not
 * `footnotes`. The families follow resiliparse's main-content rules (2.x), restated this way. */
#define MAX_PARTS 8
typedef struct {
    char w[64];
    size_t n;
    const char *part[MAX_PARTS];
    size_t part_n[MAX_PARTS];
    uint32_t mask[MAX_PARTS]; /* the keyword lists each part is in (kw_mask) */
    uint32_t any;             /* ... any part is in */
    int nparts;
} Word;

static int eq(const char *s, size_t n, const char *lit) { return strlen(lit) == n && !memcmp(s, lit, n); }

static int any_eq(const char *s, size_t n, const char *const *lits) {
    for (; *lits; lits++)
        if (eq(s, n, *lits)) return 1;
    return 0;
}

static int starts(const char *s, size_t n, const char *lit) {
    size_t m = strlen(lit);
    return n >= m && !memcmp(s, lit, m);
}


/* the first part after layout prefixes (`site-`, `global-`, `wp-`, ...) */
static const char *const LAYOUT_PREFIX[] = {"l", "m", "wp", "main", "site", "page", "sub", "article", "global",
    "sticky", "full", "right", "left", NULL};
static int core_part(const Word *w);

enum {
    W_HIDDEN = 1 << 0, W_SKIPLINK = 1 << 1, W_SIGNIN = 1 << 2, W_POSTMETA = 1 << 3, W_SOCIAL = 1 << 4,
    W_LOGO = 1 << 5, W_AD = 1 << 6, W_JUNK = 1 << 7, W_ARTICLE = 1 << 8, W_HEADER = 1 << 9,
    W_FOOTER = 1 << 10, W_NAV = 1 << 11, W_RELATED = 1 << 12, W_SEARCH = 1 << 13, W_SIDEBAR = 1 << 14,
    W_MODAL = 1 << 15, W_GALLERY = 1 << 16, W_PRINT = 1 << 17, W_LANDMARK = 1 << 18, W_ROOT = 1 << 19,
};

static const char *const HIDDEN[] = {"display-none", "hidden", "invisible", "collapsed", "h-0", "nocontent",
    "expandable", NULL};
static const char *const SKIPLINK[] = {"skip", "skip-to", "skip_to", "skipto", "skip-link", "skip_link",
    "skiplink", "scroll-up", "scroll-down", "scrollup", "scrolldown", "next", "prev", "previous", "permalink",
    "pagination", "skip-to-content", "skip-to-main-content", NULL};
static const char *const SIGNIN[] = {"login", "signin", "signup", "account", NULL};
static const char *const POSTMETA_HEAD[] = {"post", "entry", "article", "articlepage", "content", "story",
    "section", NULL};
static const char *const POSTMETA_TAIL[] = {"footer", "teaser", "meta", "metadata", "subline", "sidebar",
    "author", "authorname", "published", "timestamp", "date", "info", "label", "labels", "tag", "tags",
    "keywords", "category", NULL};
static const char *const POSTMETA_ANY[] = {"byline", "dateline", "metadata", "submitted", NULL};
static const char *const SOCIAL[] = {"social", "socialmedia", "socialsearch", "share", "sharedaddy",
    "syndication", "newsletter", "sharing", "follow", "email", "like", "likes", "feedback", "engagement",
    "facebook", "twitter", "subscribe", NULL};
static const char *const AD_HEAD[] = {"ad", "ads", "advert", "advertise", "advertisement", "advertiselink",
    "googlead", "googleads", "widead", "wideads", "sponsor", "sponsored", "promoted", "paid", "banner",
    "widebanner", "donate", "adsbygoogle", NULL};
static const char *const ARTICLE[] = {"article", "entry", "post", "story", "content", "body", "text", "page",
    NULL};
static const char *const FOOTER[] = {"footer", "copyright", "cookie", "cookies", "consent", "legal",
    "fcontainer", NULL};
static const char *const RELATED[] = {"trends", "trending", "recommended", "featured", "popular", "related",
    NULL};
static const char *const SIDEBAR[] = {"sidebar", "sidebars", "sidebox", "stickybar", NULL};
static const char *const MODAL[] = {"modal", "popup", "lightbox", NULL};
static const char *const GALLERY[] = {"gallery", "carousel", NULL};
static const char *const LANDMARK[] = {"head", "header", "foot", "footer", "right", NULL};
/* an element whose class names the article body: if the page has exactly one, only it is read */
static const char *const ROOT_CLASS[] = {"article-body", "articlebody", "contentbody", "article-text",
    "main-content", "postcontent", "post-content", "single-post", NULL};

/* Every list above, as bits of one hash table: a word's parts are looked up once each, and a rule
 * asks `mask & K_LIST` instead of comparing strings. */
enum { K_HIDDEN = 1 << 0, K_SKIPLINK = 1 << 1, K_SIGNIN = 1 << 2, K_PM_HEAD = 1 << 3, K_PM_TAIL = 1 << 4,
       K_PM_ANY = 1 << 5, K_SOCIAL = 1 << 6, K_AD = 1 << 7, K_ARTICLE = 1 << 8, K_FOOTER = 1 << 9,
       K_RELATED = 1 << 10, K_SIDEBAR = 1 << 11, K_MODAL = 1 << 12, K_GALLERY = 1 << 13, K_LANDMARK = 1 << 14,
       K_LAYOUT = 1 << 15, K_ROOT = 1 << 16 };
static const char *const *const KW_LISTS[] = {HIDDEN, SKIPLINK, SIGNIN, POSTMETA_HEAD, POSTMETA_TAIL, POSTMETA_ANY,
    SOCIAL, AD_HEAD, ARTICLE, FOOTER, RELATED, SIDEBAR, MODAL, GALLERY, LANDMARK, LAYOUT_PREFIX, ROOT_CLASS};
#define KW_SIZE 1024
static struct {
    const char *kw;
    uint32_t hash, mask;
} kw_table[KW_SIZE];

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

static void init_keywords(void) {
    for (size_t l = 0; l < sizeof(KW_LISTS) / sizeof(KW_LISTS[0]); l++)
        for (const char *const *k = KW_LISTS[l]; *k; k++) {
            uint32_t h = hash_bytes(*k, strlen(*k)), slot = h & (KW_SIZE - 1);
            while (kw_table[slot].kw && strcmp(kw_table[slot].kw, *k)) slot = (slot + 1) & (KW_SIZE - 1);
            kw_table[slot].kw = *k;
            kw_table[slot].hash = h;
            kw_table[slot].mask |= 1u << l;
        }
}

static uint32_t kw_mask(const char *s, size_t n) {
    uint32_t h = hash_bytes(s, n), slot = h & (KW_SIZE - 1);
    while (kw_table[slot].kw) {
        if (kw_table[slot].hash == h && eq(s, n, kw_table[slot].kw)) return kw_table[slot].mask;
        slot = (slot + 1) & (KW_SIZE - 1);
    }
    return 0;
}

static int core_part(const Word *w) {
    int i = 0;
    while (i < w->nparts - 1 && (w->mask[i] & K_LAYOUT)) i++;
    return i;
}

static int any_eq_part(const Word *w, const char *lit) {
    for (int i = 0; i < w->nparts; i++)
        if (eq(w->part[i], w->part_n[i], lit)) return 1;
    return 0;
}

static int word_flags(const Word *w, int is_id) {
    int f = 0;
    const char *p0 = w->part[0], *last = w->part[w->nparts - 1];
    size_t p0n = w->part_n[0], lastn = w->part_n[w->nparts - 1];
    int c = core_part(w);
    const char *core = w->part[c];
    size_t coren = w->part_n[c];
    {   /* hidden: [is-|visually-]NAME[-xs|-sm|-lg|-xl|-2xl] */
        const char *s = w->w;
        size_t n = w->n;
        if (starts(s, n, "is-") || starts(s, n, "is_")) { s += 3; n -= 3; }
        else if (starts(s, n, "visually-") || starts(s, n, "visually_")) { s += 9; n -= 9; }
        static const char *const sizes[] = {"-xs", "-sm", "-lg", "-xl", "-2xl", NULL};
        for (const char *const *z = sizes; *z; z++) {
            size_t m = strlen(*z);
            if (n > m && !memcmp(s + n - m, *z, m)) { n -= m; break; }
        }
        if (kw_mask(s, n) & K_HIDDEN) f |= W_HIDDEN;
    }
    {   /* skip links: [link-]NAME[-post|-article], the whole word (`__next` is not one) */
        const char *s = w->w;
        size_t n = w->n;
        if (starts(s, n, "link-") || starts(s, n, "link_")) { s += 5; n -= 5; }
        else if (starts(s, n, "link")) { s += 4; n -= 4; }
        static const char *const tails[] = {"-post", "_post", "-article", "_article", "post", "article", NULL};
        for (const char *const *z = tails; *z; z++) {
            size_t m = strlen(*z);
            if (n > m && !memcmp(s + n - m, *z, m)) { n -= m; break; }
        }
        if (kw_mask(s, n) & K_SKIPLINK) f |= W_SKIPLINK;
    }
    if ((w->any & K_SIGNIN) || (w->nparts == 2 && eq(p0, p0n, "user") &&
                                (eq(last, lastn, "info") || eq(last, lastn, "profile") ||
                                 eq(last, lastn, "settings") || eq(last, lastn, "actions"))) ||
        ((eq(p0, p0n, "log") || eq(p0, p0n, "sign")) && w->nparts == 2))
        f |= W_SIGNIN;
    if ((w->nparts >= 2 && (w->mask[0] & K_PM_HEAD) && (w->mask[w->nparts - 1] & K_PM_TAIL)) ||
        (w->any & K_PM_ANY) || eq(w->w, w->n, "posted-on") || eq(w->w, w->n, "author-date"))
        f |= W_POSTMETA;
    {   /* social: at the word's start (after mobile-, desktop-, l-, m-, c-) or a BEM part (`__share`) */
        int i = (w->nparts > 1 && any_eq(p0, p0n, (const char *const[]){"mobile", "desktop", "l", "m", "c", NULL}));
        if (w->mask[i] & K_SOCIAL) f |= W_SOCIAL;
        for (int k = 1; k < w->nparts; k++) {
            const char *q = w->part[k];
            if (q - w->w >= 2 && q[-1] == q[-2] && (w->mask[k] & K_SOCIAL)) f |= W_SOCIAL;
        }
    }
    if (w->n >= 4 && !memcmp(w->w + w->n - 4, "logo", 4)) f |= W_LOGO;
    if ((w->mask[0] & K_AD) || ((eq(p0, p0n, "google") || eq(p0, p0n, "wide")) && w->nparts > 1 &&
                                     (eq(w->part[1], w->part_n[1], "ad") || eq(w->part[1], w->part_n[1], "ads"))))
        f |= W_AD;
    if (eq(w->w, w->n, "short-view-count") || any_eq_part(w, "spinner")) f |= W_JUNK;
    if (w->any & K_ARTICLE) f |= W_ARTICLE;
    if (c > 0 && eq(core, coren, "header")) f |= W_HEADER;
    if (w->any & K_FOOTER) f |= W_FOOTER;
    if (starts(core, coren, "nav") || starts(core, coren, "menu") || starts(core, coren, "dropdown") ||
        starts(core, coren, "breadcrumb") ||
        ((eq(core, coren, "drop") || eq(core, coren, "bread")) && c + 1 < w->nparts) ||
        ((eq(core, coren, "link") || eq(core, coren, "links")) && c + 1 < w->nparts))
        f |= W_NAV;
    if ((w->any & K_RELATED) || eq(w->w, w->n, "editors-picks") || eq(w->w, w->n, "read-next") ||
        (w->nparts == 2 && (eq(p0, p0n, "related") || eq(p0, p0n, "more") || eq(p0, p0n, "other")) &&
         (eq(last, lastn, "links") || eq(last, lastn, "articles") || eq(last, lastn, "posts") ||
          eq(last, lastn, "stories") || eq(last, lastn, "guides"))))
        f |= W_RELATED;
    if (eq(last, lastn, "search") || (w->nparts >= 2 && eq(w->part[w->nparts - 2], w->part_n[w->nparts - 2], "search") &&
                                       (eq(last, lastn, "bar") || eq(last, lastn, "box") || eq(last, lastn, "facility"))) ||
        eq(w->w, w->n, "searchbar") || eq(w->w, w->n, "searchbox"))
        f |= W_SEARCH;
    if ((w->mask[c] & K_SIDEBAR) || ((eq(core, coren, "side") || eq(core, coren, "sticky")) && c + 1 < w->nparts &&
                                 (eq(w->part[c + 1], w->part_n[c + 1], "bar") || eq(w->part[c + 1], w->part_n[c + 1], "box"))) ||
        eq(w->w, w->n, "one-third"))
        f |= W_SIDEBAR;
    if ((w->mask[c] & K_MODAL) || (c == 0 && w->nparts > 1 && eq(p0, p0n, "p") && (w->mask[1] & K_MODAL)))
        f |= W_MODAL;
    if (w->any & K_GALLERY) f |= W_GALLERY;
    if (eq(p0, p0n, "print") && w->nparts > 1) f |= W_PRINT;
    if (is_id && c == w->nparts - 1 && (w->mask[c] & K_LANDMARK)) f |= W_LANDMARK;
    return f;
}

/* Flags of every word of a class or id value. Pages repeat their class values (every item of a
 * list, every paragraph of a layout), so the answers are cached by the value's hash: one cache
 * per scan, direct-mapped, a collision just recomputes. */
#define FLAG_CACHE 256
typedef struct {
    uint32_t hash[FLAG_CACHE];
    uint32_t len[FLAG_CACHE]; /* value length + 1 (0: empty slot) */
    int flags[FLAG_CACHE];
} FlagCache;

static int attr_flags_(const char *s, size_t n, int is_id);
static int attr_flags(FlagCache *c, const char *s, size_t n, int is_id) {
    uint32_t h = hash_bytes(s, n) ^ (uint32_t)is_id;
    uint32_t slot = h & (FLAG_CACHE - 1);
    if (c->len[slot] == n + 1 && c->hash[slot] == h) return c->flags[slot];
    int f = attr_flags_(s, n, is_id);
    c->hash[slot] = h;
    c->len[slot] = (uint32_t)n + 1;
    c->flags[slot] = f;
    return f;
}

static int attr_flags_(const char *s, size_t n, int is_id) {
    int f = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws(s[i])) i++;
        size_t st = i;
        while (i < n && !is_ws(s[i])) i++;
        if (i == st) break;
        Word w;
        w.n = 0;
        for (size_t k = st; k < i && w.n < sizeof(w.w); k++) w.w[w.n++] = lower(s[k]);
        w.nparts = 0;
        size_t ps = 0;
        for (size_t k = 0; k <= w.n && w.nparts < MAX_PARTS; k++) {
            if (k == w.n || w.w[k] == '-' || w.w[k] == '_') {
                if (k > ps) {
                    w.part[w.nparts] = w.w + ps;
                    w.part_n[w.nparts++] = k - ps;
                }
                ps = k + 1;
            }
        }
        if (!w.nparts) continue;
        w.any = 0;
        for (int k = 0; k < w.nparts; k++) w.any |= w.mask[k] = kw_mask(w.part[k], w.part_n[k]);
        f |= word_flags(&w, is_id);
        if (!is_id && (kw_mask(w.w, w.n) & K_ROOT)) f |= W_ROOT;
    }
    return f;
}


static int contains(const char *s, size_t n, const char *lit) {
    size_t m = strlen(lit);
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(s + i, lit, m)) return 1;
    return 0;
}

/* `display: none` / `visibility: hidden` in a style attribute (spaces around ':' allowed). */
static int style_hides(const char *s, size_t n) {
    char buf[256];
    size_t m = 0;
    for (size_t i = 0; i < n && m < sizeof(buf); i++)
        if (!is_ws(s[i])) buf[m++] = lower(s[i]);
    return contains(buf, m, "display:none") || contains(buf, m, "visibility:hidden");
}

static int attr_in(const char *s, size_t n, const char *const *lits) {
    char buf[24];
    size_t m = 0;
    while (n && is_ws(*s)) { s++; n--; }
    while (n && is_ws(s[n - 1])) n--;
    if (n > sizeof(buf)) return 0;
    for (size_t i = 0; i < n; i++) buf[m++] = lower(s[i]);
    return any_eq(buf, m, lits);
}

/* Does the element name the article body (a ROOT_CLASS word in its class, or role=main)? */
static int is_root(FlagCache *cache, const Attrs *a) {
    if (a->role_n && attr_in(a->role, a->role_n, (const char *const[]){"main", NULL})) return 1;
    return a->cls_n && (attr_flags(cache, a->cls, a->cls_n, 0) & W_ROOT);
}

static const char *const SKIP_ROLES[] = {"alert", "banner", "checkbox", "comment", "complementary", "contentinfo",
    "dialog", "img", "menu", "menubar", "menuitem", "navigation", "presentation", "radio", "search", "searchbox",
    "separator", "tab", "toolbar", "tooltip", NULL};
static const char *const SKIP_RELS[] = {"author", "icon", "search", "prev", "next", "tag", NULL};
static const char *const SKIP_ITEMPROPS[] = {"datepublished", "author", "url", NULL};

/* What the rules decide when an element opens: show it, hide it, or show it for now and drop its
 * text when it closes if that text is mostly link text (ratio, up to a text length; 0: any). */
typedef struct {
    int hide;
    float cluster_ratio;
    size_t cluster_max;
} Verdict;

/* `depth`: the element's distance from <body> (a child of <body> is 1). */
static Verdict judge(FlagCache *cache, const TagInfo *tag, const Attrs *a, int depth) {
    Verdict v = {0, 0, 0};
    int id = tag ? tag->id : T_OTHER;
    if (id == T_HTML || id == T_BODY || id == T_MAIN || id == T_H1) return v;
    switch (id) {
    case T_FOOTER:
        if (depth < 3) { v.hide = 1; return v; }
        v.cluster_ratio = 0.2f;
        break;
    case T_UL:
        if (depth < 4) { v.hide = 1; return v; }
        v.cluster_ratio = 0.2f;
        break;
    case T_ARTICLE:
        if (depth > 2) { v.cluster_ratio = 0.2f; v.cluster_max = 500; }
        break;
    case T_NAV: case T_ASIDE: case T_TIME:
        v.hide = 1;
        return v;
    default: break;
    }
    if (a->hidden || (a->rel && attr_in(a->rel, a->rel_n, SKIP_RELS)) ||
        (a->itemprop && attr_in(a->itemprop, a->itemprop_n, SKIP_ITEMPROPS)) ||
        (a->aria_hidden && value_is(a->aria_hidden, a->aria_hidden_n, "true")) ||
        (a->aria_expanded && value_is(a->aria_expanded, a->aria_expanded_n, "false")) ||
        (a->style_n && style_hides(a->style, a->style_n))) {
        v.hide = 1;
        return v;
    }
    if (!a->cls_n && !a->id_n) {
        if (id == T_DIV && depth > 5) { v.cluster_ratio = 0.6f; v.cluster_max = 800; }
        return v;
    }
    int cls = a->cls_n ? attr_flags(cache, a->cls, a->cls_n, 0) : 0;
    int ids = a->id_n ? attr_flags(cache, a->id, a->id_n, 1) : 0;
    int both = cls | ids;
    int block = tag && ((tag->flags & F_BLOCK) || id == T_TD || id == T_TH);
    v.hide = 1;
    if (cls & W_HIDDEN) return v;
    if ((id == T_A || id == T_DIV || id == T_LI) && (both & W_SKIPLINK)) return v;
    if (depth > 2 && (cls & (W_SIGNIN | W_POSTMETA | W_SOCIAL))) return v;
    if ((both & (W_LOGO | W_AD)) || a->data_ad || (cls & W_JUNK)) return v;
    if (block) {
        if (a->role_n && attr_in(a->role, a->role_n, SKIP_ROLES)) return v;
        if (both & W_ARTICLE) { /* an article's own container: kept, not checked for links */
            v.hide = 0;
            return v;
        }
        if ((ids & W_LANDMARK) || (both & (W_HEADER | W_FOOTER | W_NAV | W_RELATED | W_SEARCH | W_SIDEBAR |
                                           W_MODAL | W_GALLERY | W_PRINT)))
            return v;
    }
    v.hide = 0;
    if (id == T_DIV && depth > 2 && !v.cluster_ratio) { v.cluster_ratio = 0.6f; v.cluster_max = 1500; }
    return v;
}

/* ------------------------------------------------------------------ the scanner */

#define MAX_DEPTH 1024
#define END_TAG_SEARCH 512 /* how far down the stack an end tag looks for its element */

/* Main-content decisions are not taken by skipping text: the text of an element the rules drop
 * is written like any other and its output range recorded, and the ranges are cut out at the end.
 * That is what lets one pass follow rules that need to see past the element: a link cluster is
 * known only when it closes, and when the page names exactly one article body (ROOT_CLASS), only
 * its range is kept, whatever its ancestors were. (Elements whose content is never text -- head,
 * script, forms, media -- are skipped outright.) */
typedef struct {
    size_t start, end;
    int depth; /* the element's stack depth (tells a root's ancestors from its descendants) */
} Range;

typedef struct {
    uint32_t hash;
    const TagInfo *tag;
    int shown;               /* outside an outright-skipped subtree */
    int is_link, is_root, dropped;
    size_t out_at, links_at; /* output and link bytes when it opened */
    float cluster_ratio;     /* > 0: drop it at the end if link bytes / bytes exceed this ... */
    size_t cluster_max;      /* ... and it holds at most this many bytes (0: any) */
} Open;

typedef struct {
    const char *s;
    size_t n;
    int main_content, want_links;
    Text text;
    Open stack[MAX_DEPTH];
    int depth;     /* entries on the stack */
    int overflow;  /* opens beyond MAX_DEPTH, not recorded */
    int skip_from; /* stack index of the element whose subtree is skipped outright; -1 none */
    int body_at;   /* stack index of <body> (or <html>); -1 none */
    int head_at;   /* stack index of an open <head>; -1 none */
    int roots;     /* elements naming the article body (ROOT_CLASS, role=main) */
    Range root;    /* the first one's output range and stack depth */
    int root_closed; /* its end tag (or an implied end) was seen: root.end is set */
    Range *drops;  /* output ranges of dropped elements */
    FlagCache flag_cache;
    size_t n_drops, cap_drops;
    PyObject *links; /* list of href bytes */
    PyObject *base;  /* first <base href>, bytes */
} Scan;

static void add_drop(Scan *sc, size_t start, size_t end, int depth) {
    if (end <= start) return;
    if (sc->n_drops == sc->cap_drops) {
        size_t cap = sc->cap_drops ? 2 * sc->cap_drops : 64;
        Range *r = PyMem_Realloc(sc->drops, cap * sizeof(Range));
        if (!r) { sc->text.out.oom = 1; return; }
        sc->drops = r;
        sc->cap_drops = cap;
    }
    sc->drops[sc->n_drops].start = start;
    sc->drops[sc->n_drops].end = end;
    sc->drops[sc->n_drops++].depth = depth;
}

static void pop_to(Scan *sc, int idx) { /* pop entries idx.. (inclusive) */
    while (sc->depth > idx) {
        sc->depth--;
        Open *e = &sc->stack[sc->depth];
        const TagInfo *t = e->tag;
        if (sc->depth == sc->skip_from) sc->skip_from = -1;
        if (sc->depth == sc->body_at) sc->body_at = -1;
        if (sc->depth == sc->head_at) sc->head_at = -1;
        if (e->is_root) { /* its range may be empty */
            sc->root.end = sc->text.out.len;
            sc->root_closed = 1;
        }
        if (!e->shown) continue;
        Text *tx = &sc->text;
        if (e->is_link) tx->in_link--;
        size_t len = tx->out.len - e->out_at;
        if (!e->dropped && e->cluster_ratio > 0 && len && (!e->cluster_max || len <= e->cluster_max) &&
            (float)(tx->link_bytes - e->links_at) > e->cluster_ratio * (float)len)
            e->dropped = 1; /* mostly link text: navigation, a list of related posts */
        if (e->dropped) add_drop(sc, e->out_at, tx->out.len, sc->depth);
        if (!t) continue;
        if (t->id == T_PRE) tx->pre--;
        if (t->id == T_LI) tx->bullet = 0; /* an item without text leaves no bullet behind */
        if (t->flags & F_PARA) want(tx, 4);
        else if (t->flags & F_BLOCK) want(tx, 3);
        else if (t->id == T_TD || t->id == T_TH) want(tx, 2);
    }
}

static int cmp_range(const void *a, const void *b) {
    const Range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->end > y->end) - (x->end < y->end);
}

/* The output range `keep` with the dropped ranges of its element's descendants cut out (keep.depth:
 * the element's stack depth, -1 for the whole page), blank-line runs collapsed and white space
 * stripped at the ends; written to out, returns its length. */
static size_t compose(Scan *sc, Range keep, char *out) {
    const char *p = sc->text.out.p;
    const Range *d = sc->drops;
    size_t n = sc->n_drops, k = 0, o = 0, pos = keep.start, newlines = 0;
    if (n > 1) qsort(sc->drops, n, sizeof(Range), cmp_range);
    while (pos < keep.end) {
        /* the next drop inside `keep` not behind us (ranges nest: an element's lie inside it) */
        while (k < n && (d[k].depth <= keep.depth || d[k].start < keep.start || d[k].end > keep.end ||
                         d[k].end <= pos))
            k++;
        size_t stop = k < n && d[k].start < keep.end ? d[k].start : keep.end;
        for (; pos < stop; pos++) {
            char c = p[pos];
            if (c == '\n') {
                while (o && (out[o - 1] == ' ' || out[o - 1] == '\t')) o--;
                if (!o || ++newlines > 2) continue;
            } else if (!o && is_ws(c)) {
                continue;
            } else {
                newlines = 0;
            }
            out[o++] = c;
        }
        if (stop < keep.end) pos = d[k].end;
    }
    while (o && is_ws(out[o - 1])) o--;
    return o;
}

/* Index of the nearest open element with this id, not looking past any id in `stop`. */
static int find_open(Scan *sc, int id, const int *stop) {
    for (int i = sc->depth - 1; i >= 0 && i >= sc->depth - END_TAG_SEARCH; i--) {
        const TagInfo *t = sc->stack[i].tag;
        if (!t) continue;
        if (t->id == id) return i;
        for (const int *s = stop; *s; s++)
            if (t->id == *s) return -1;
    }
    return -1;
}

static void implied_ends(Scan *sc, const TagInfo *t) {
    static const int list_stop[] = {T_UL, T_OL, T_MENU, T_TABLE, 0};
    static const int dl_stop[] = {T_DL, T_TABLE, 0};
    static const int row_stop[] = {T_TABLE, T_TBODY, T_THEAD, T_TFOOT, 0};
    static const int cell_stop[] = {T_TR, T_TABLE, 0};
    static const int sel_stop[] = {T_SELECT, 0};
    static const int no_stop[] = {0};
    int i = -1;
    if (sc->depth && (t->flags & F_CLOSE_P) && sc->stack[sc->depth - 1].tag &&
        sc->stack[sc->depth - 1].tag->id == T_P)
        pop_to(sc, sc->depth - 1);
    switch (t->id) {
    case T_LI: i = find_open(sc, T_LI, list_stop); break;
    case T_DT: case T_DD:
        i = find_open(sc, T_DD, dl_stop);
        if (i < 0) i = find_open(sc, T_DT, dl_stop);
        break;
    case T_TR: i = find_open(sc, T_TR, row_stop); break;
    case T_TD: case T_TH:
        i = find_open(sc, T_TD, cell_stop);
        if (i < 0) i = find_open(sc, T_TH, cell_stop);
        break;
    case T_OPTION: i = find_open(sc, T_OPTION, sel_stop); break;
    case T_A: i = find_open(sc, T_A, no_stop); break; /* links do not nest: a new one ends the last */
    case T_BODY: i = sc->head_at; break;
    case T_TBODY: case T_THEAD: case T_TFOOT: {
        int a = find_open(sc, T_TBODY, cell_stop + 1), b = find_open(sc, T_THEAD, cell_stop + 1),
            c = find_open(sc, T_TFOOT, cell_stop + 1);
        i = a > b ? a : b;
        i = i > c ? i : c;
        break;
    }
    default: break;
    }
    if (i >= 0) pop_to(sc, i);
    /* content that cannot be in <head> ends it (a page that never closes its head) */
    if (sc->head_at >= 0 && t->id != T_HEAD_OK && t->id != T_HEAD && t->id != T_BASE && t->id != T_HTML)
        pop_to(sc, sc->head_at);
}

/* An attribute value as bytes: trimmed, character references decoded (NULL: a Python error). */
static PyObject *attr_value(const char *s, size_t n) {
    while (n && is_ws(*s)) { s++; n--; }
    while (n && is_ws(s[n - 1])) n--;
    PyObject *v;
    if (memchr(s, '&', n)) {
        Buf b = {0};
        size_t i = 0;
        while (i < n) {
            if (s[i] == '&') {
                char tmp[8];
                size_t len = 0, used = decode_ref(s + i, n - i, tmp, &len);
                /* in attributes, a legacy name without ';' followed by '=' or alnum stays literal */
                if (used && (s[i + used - 1] == ';' || s[i + 1] == '#' || i + used >= n ||
                             !(is_alpha(s[i + used]) || (s[i + used] >= '0' && s[i + used] <= '9') ||
                               s[i + used] == '='))) {
                    buf_put(&b, tmp, len);
                    i += used;
                    continue;
                }
            }
            buf_put(&b, s + i, 1);
            i++;
        }
        if (b.oom) { PyMem_Free(b.p); return PyErr_NoMemory(); }
        v = PyBytes_FromStringAndSize(b.p, (Py_ssize_t)b.len);
        PyMem_Free(b.p);
    } else {
        v = PyBytes_FromStringAndSize(s, (Py_ssize_t)n);
    }
    return v;
}

/* Skip raw text up to and including `</name ...>`; returns the position after it (or n) and
 * sets *content_end to where the raw text ends. */
static size_t skip_raw(const char *s, size_t n, size_t i, const char *name, size_t name_n, size_t *content_end) {
    *content_end = n;
    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        if (!lt) return n;
        i = (size_t)(lt - s);
        *content_end = i;
        if (i + 2 + name_n <= n && s[i + 1] == '/') {
            size_t k = 0;
            while (k < name_n && lower(s[i + 2 + k]) == name[k]) k++;
            if (k == name_n && (i + 2 + name_n == n || is_ws(s[i + 2 + name_n]) || s[i + 2 + name_n] == '>' ||
                                s[i + 2 + name_n] == '/')) {
                const char *gt = memchr(s + i, '>', n - i);
                return gt ? (size_t)(gt - s) + 1 : n;
            }
        }
        i++;
    }
    *content_end = n;
    return n;
}

/* Parse a tag's attributes from s[i]; returns the position after '>' and sets *self_closing. */
static size_t parse_attrs(const char *s, size_t n, size_t i, Attrs *a, int *self_closing) {
    *self_closing = 0;
    while (i < n) {
        while (i < n && (is_ws(s[i]) || s[i] == '/')) {
            if (s[i] == '/' && i + 1 < n && s[i + 1] == '>') *self_closing = 1;
            i++;
        }
        if (i >= n) return n;
        if (s[i] == '>') return i + 1;
        size_t ns = i;
        i++; /* the first character may be '=' */
        while (i < n && !is_ws(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=') i++;
        size_t nn = i - ns;
        while (i < n && is_ws(s[i])) i++;
        const char *v = NULL;
        size_t vn = 0;
        if (i < n && s[i] == '=') {
            i++;
            while (i < n && is_ws(s[i])) i++;
            if (i < n && (s[i] == '"' || s[i] == '\'')) {
                char q = s[i++];
                const char *e = memchr(s + i, q, n - i);
                size_t ve = e ? (size_t)(e - s) : n;
                v = s + i;
                vn = ve - i;
                i = e ? ve + 1 : n;
            } else {
                size_t vs = i;
                while (i < n && !is_ws(s[i]) && s[i] != '>') i++;
                v = s + vs;
                vn = i - vs;
            }
        }
        const char *nm = s + ns;
        switch (nn) { /* only the attributes the rules and links read */
        case 2: if (name_is(nm, nn, "id") && !a->id) { a->id = v ? v : ""; a->id_n = vn; } break;
        case 3: if (name_is(nm, nn, "rel") && !a->rel) { a->rel = v ? v : ""; a->rel_n = vn; } break;
        case 4:
            if (name_is(nm, nn, "role") && !a->role) { a->role = v ? v : ""; a->role_n = vn; }
            else if (name_is(nm, nn, "href") && !a->href) { a->href = v ? v : ""; a->href_n = vn; }
            break;
        case 8: if (name_is(nm, nn, "itemprop") && !a->itemprop) { a->itemprop = v ? v : ""; a->itemprop_n = vn; } break;
        case 13:
            if (name_is(nm, nn, "aria-expanded") && !a->aria_expanded) {
                a->aria_expanded = v ? v : "";
                a->aria_expanded_n = vn;
            }
            break;
        case 5:
            if (name_is(nm, nn, "class") && !a->cls) { a->cls = v ? v : ""; a->cls_n = vn; }
            else if (name_is(nm, nn, "style") && !a->style) { a->style = v ? v : ""; a->style_n = vn; }
            break;
        case 6: if (name_is(nm, nn, "hidden")) a->hidden = 1; break;
        case 7: if (name_is(nm, nn, "data-ad")) a->data_ad = 1; break;
        case 11:
            if (name_is(nm, nn, "aria-hidden") && !a->aria_hidden) {
                a->aria_hidden = v ? v : "";
                a->aria_hidden_n = vn;
            }
            break;
        case 12: if (name_is(nm, nn, "data-text-ad")) a->data_ad = 1; break;
        case 18: if (name_is(nm, nn, "data-advertisement")) a->data_ad = 1; break;
        default: break;
        }
    }
    return n;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Returns 0 done, 1 deadline passed, -1 Python error. */
static int run_scan(Scan *sc, double deadline) {
    const char *s = sc->s;
    size_t n = sc->n, i = 0, next_check = 1 << 16;
    while (i < n) {
        if (i >= next_check) {
            if (deadline > 0 && now_s() > deadline) return 1;
            next_check = i + (1 << 16);
        }
        const char *lt = memchr(s + i, '<', n - i);
        size_t j = lt ? (size_t)(lt - s) : n;
        if (j > i && sc->head_at >= 0) { /* text ends a <head> the page never closed (HTML) */
            size_t k = i;
            while (k < j && is_ws(s[k])) k++;
            if (k < j) pop_to(sc, sc->head_at);
        }
        if (j > i && sc->skip_from < 0) add_text(&sc->text, s + i, j - i);
        i = j;
        if (i >= n) break;
        /* s[i] == '<' */
        if (i + 1 >= n) {
            if (sc->skip_from < 0) add_text(&sc->text, "<", 1);
            break;
        }
        char c = s[i + 1];
        if (c == '!') {
            if (i + 3 < n && s[i + 2] == '-' && s[i + 3] == '-') { /* comment */
                size_t k = i + 4;
                if (k < n && s[k] == '>') { i = k + 1; continue; }
                if (k + 1 < n && s[k] == '-' && s[k + 1] == '>') { i = k + 2; continue; }
                const char *e = NULL;
                for (size_t p = k; p + 2 < n; p++) {
                    const char *d = memchr(s + p, '-', n - 2 - p);
                    if (!d) break;
                    p = (size_t)(d - s);
                    if (s[p + 1] == '-' && (s[p + 2] == '>' || (p + 3 < n && s[p + 2] == '!' && s[p + 3] == '>'))) {
                        e = s + p + (s[p + 2] == '>' ? 2 : 3);
                        break;
                    }
                }
                i = e ? (size_t)(e - s) + 1 : n;
                continue;
            }
            const char *gt = memchr(s + i, '>', n - i); /* doctype, CDATA, bogus comment */
            i = gt ? (size_t)(gt - s) + 1 : n;
            continue;
        }
        if (c == '?') {
            const char *gt = memchr(s + i, '>', n - i);
            i = gt ? (size_t)(gt - s) + 1 : n;
            continue;
        }
        int end = c == '/';
        size_t ns = i + 1 + end;
        if (ns >= n || !is_alpha(s[ns])) {
            if (end) { /* `</>` is nothing, `</3` a bogus comment */
                const char *gt = memchr(s + i, '>', n - i);
                i = gt ? (size_t)(gt - s) + 1 : n;
            } else {
                if (sc->skip_from < 0) add_text(&sc->text, "<", 1);
                i++;
            }
            continue;
        }
        size_t ne = ns;
        while (ne < n && !is_ws(s[ne]) && s[ne] != '/' && s[ne] != '>') ne++;
        size_t name_n = ne - ns;
        uint32_t h = name_hash(s + ns, name_n);
        const TagInfo *t = lookup_tag(s + ns, name_n, h);
        if (end) {
            const char *gt = memchr(s + ne, '>', n - ne);
            i = gt ? (size_t)(gt - s) + 1 : n;
            if (t && t->id == T_BR) { /* `</br>` acts as <br> */
                if (sc->skip_from < 0) want(&sc->text, 3);
                continue;
            }
            if (t && (t->id == T_BODY || t->id == T_HTML)) continue; /* content after them stays in body */
            if (sc->overflow) { sc->overflow--; continue; }
            int k = sc->depth - 1;
            for (; k >= 0 && k >= sc->depth - END_TAG_SEARCH; k--) {
                if (sc->stack[k].hash == h && (t ? sc->stack[k].tag == t : sc->stack[k].tag == NULL)) {
                    pop_to(sc, k);
                    break;
                }
            }
            /* a stray </p> makes an empty paragraph (HTML): a break */
            if ((k < 0 || k < sc->depth - END_TAG_SEARCH) && t && t->id == T_P && sc->skip_from < 0)
                want(&sc->text, 4);
            continue;
        }
        Attrs a;
        memset(&a, 0, sizeof a);
        int self_closing;
        i = parse_attrs(s, n, ne, &a, &self_closing);
        if (t) implied_ends(sc, t);
        else if (sc->head_at >= 0) pop_to(sc, sc->head_at); /* so does an unknown element */
        int hidden = sc->skip_from >= 0;
        /* links from boilerplate too: navigation holds the in-domain links discovery follows */
        if (t && (t->id == T_A ? sc->want_links : t->id == T_BASE && !sc->base) && a.href) {
            PyObject *v = attr_value(a.href, a.href_n);
            if (!v) return -1;
            if (!PyBytes_GET_SIZE(v)) { /* an empty (or blank) href names nothing */
                Py_DECREF(v);
            } else if (t->id == T_BASE) {
                sc->base = v;
            } else {
                int r = PyList_Append(sc->links, v);
                Py_DECREF(v);
                if (r < 0) return -1;
            }
        }
        if (t && (t->flags & F_RAW)) {
            size_t start = i, end;
            i = skip_raw(s, n, i, t->name, name_n, &end); /* `<script/>` opens raw text too */
            if (!(t->flags & F_SKIP) && !hidden) { /* <xmp>: its raw text is shown as preformatted */
                want(&sc->text, 3);
                sc->text.pre++;
                add_text(&sc->text, s + start, end - start);
                sc->text.pre--;
                want(&sc->text, 3);
            }
            continue;
        }
        if (t && t->id == T_BR) {
            if (!hidden) want(&sc->text, 3);
            continue;
        }
        if (t && (t->flags & F_VOID)) {
            if ((t->flags & F_BLOCK) && !hidden) want(&sc->text, 3);
            continue;
        }
        /* `<path/>`: foreign (SVG, MathML) and unknown elements honour the self-closing slash,
         * HTML elements ignore it (the HTML rule); <svg/> is foreign too */
        if (self_closing && (!t || t->id == T_SVG)) continue;
        /* an element with content: push it (unknown tags too, so their end tags match) */
        if (sc->depth >= MAX_DEPTH) {
            sc->overflow++;
            continue;
        }
        int idx = sc->depth++;
        Open *e = &sc->stack[idx];
        memset(e, 0, sizeof *e);
        e->hash = h;
        e->tag = t;
        if (t && (t->id == T_BODY || (t->id == T_HTML && sc->body_at < 0))) sc->body_at = idx;
        if (t && t->id == T_HEAD && sc->head_at < 0) sc->head_at = idx;
        if (hidden) continue;
        /* (searched below <body>, as resiliparse queries its descendants) */
        int root = sc->main_content && !(t && (t->id == T_BODY || t->id == T_HTML)) && is_root(&sc->flag_cache, &a);
        if (root && ++sc->roots == 1) {
            e->is_root = 1;
            sc->root.start = sc->text.out.len;
            sc->root.depth = idx;
        }
        if (t && (t->flags & F_SKIP)) {
            sc->skip_from = idx;
            continue;
        }
        if (sc->main_content) {
            int below_body = sc->body_at >= 0 ? idx - sc->body_at - 1 : idx;
            Verdict v = judge(&sc->flag_cache, t, &a, below_body < 0 ? 1 : below_body + 1);
            e->dropped = v.hide && !e->is_root;
            e->cluster_ratio = v.cluster_ratio;
            e->cluster_max = v.cluster_max;
        }
        e->shown = 1;
        e->out_at = sc->text.out.len;
        e->links_at = sc->text.link_bytes;
        if (t) {
            if (t->flags & F_BLOCK) want(&sc->text, (t->flags & F_PARA) ? 4 : 3);
            if (t->id == T_PRE) {
                sc->text.pre++;
                if (i < n && s[i] == '\r') i++; /* a line break right after <pre> is not content */
                if (i < n && s[i] == '\n') i++;
            }
            if (t->id == T_LI) sc->text.bullet = 1;
            if (t->id == T_TD || t->id == T_TH) want(&sc->text, 2);
            if (t->id == T_A) {
                e->is_link = 1;
                sc->text.in_link++;
            }
        }
    }
    return 0;
}

/* scan(html: bytes, main_content: bool, links: bool, timeout_s: float)
 *   -> (text: bytes | None, hrefs: list[bytes], base_href: bytes | None)
 * text is None when the page ran over timeout_s (<= 0: no limit). */
static PyObject *scan(PyObject *self, PyObject *args) {
    Py_buffer html;
    int main_content = 1, want_links = 1;
    double timeout_s = 0;
    if (!PyArg_ParseTuple(args, "y*|ppd", &html, &main_content, &want_links, &timeout_s)) return NULL;
    Scan *sc = PyMem_Calloc(1, sizeof(Scan));
    if (!sc) { PyBuffer_Release(&html); return PyErr_NoMemory(); }
    sc->s = html.buf;
    sc->n = (size_t)html.len;
    sc->main_content = main_content;
    sc->want_links = want_links;
    sc->skip_from = sc->body_at = sc->head_at = -1;
    sc->links = PyList_New(0);
    PyObject *result = NULL;
    if (sc->links) {
        int rc;
        double deadline = timeout_s > 0 ? now_s() + timeout_s : 0;
        rc = run_scan(sc, deadline); /* holds the GIL: links are appended as they are found */
        if (rc >= 0 && sc->text.out.oom) { PyErr_NoMemory(); rc = -1; }
        if (rc >= 0) {
            PyObject *text;
            if (rc == 1) {
                text = Py_None;
                Py_INCREF(text);
            } else {
                pop_to(sc, 0); /* close what the page left open: their drops count too */
                Range keep = {0, sc->text.out.len, -1};
                if (sc->roots == 1) /* one article body on the page: its text only */
                    keep = (Range){sc->root.start, sc->root_closed ? sc->root.end : sc->text.out.len, sc->root.depth};
                if (keep.end > sc->text.out.len) keep.end = sc->text.out.len;
                if (keep.start > keep.end) keep.start = keep.end;
                text = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(keep.end - keep.start));
                if (text) {
                    size_t len = sc->text.out.oom ? 0 : compose(sc, keep, PyBytes_AS_STRING(text));
                    if (sc->text.out.oom) {
                        Py_CLEAR(text);
                        PyErr_NoMemory();
                    } else {
                        _PyBytes_Resize(&text, (Py_ssize_t)len);
                    }
                }
            }
            if (text)
                result = Py_BuildValue("(NOO)", text, sc->links, sc->base ? sc->base : Py_None);
        }
    }
    Py_XDECREF(sc->links);
    Py_XDECREF(sc->base);
    PyMem_Free(sc->text.out.p);
    PyMem_Free(sc->drops);
    PyMem_Free(sc);
    PyBuffer_Release(&html);
    return result;
}

/* set_entities(pairs: list[tuple[bytes, bytes]]): the named references, sorted by name. */
static PyObject *set_entities(PyObject *self, PyObject *arg) {
    PyObject *seq = PySequence_Fast(arg, "set_entities takes a sequence of (name, value) pairs");
    if (!seq) return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Entity *tab = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Entity));
    if (!tab) { Py_DECREF(seq); return PyErr_NoMemory(); }
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *name, *value;
        Py_ssize_t name_n, value_n;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "y#y#", &name, &name_n, &value, &value_n)) {
            PyMem_Free(tab);
            Py_DECREF(seq);
            return NULL;
        }
        if (name_n >= (Py_ssize_t)sizeof(tab[k].name) || value_n > (Py_ssize_t)sizeof(tab[k].value)) continue;
        memcpy(tab[k].name, name, (size_t)name_n);
        tab[k].name_len = (uint8_t)name_n;
        memcpy(tab[k].value, value, (size_t)value_n);
        tab[k].value_len = (uint8_t)value_n;
        if (k && entity_cmp(tab[k].name, tab[k].name_len, &tab[k - 1]) <= 0) {
            PyMem_Free(tab);
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "entity names must be sorted and distinct");
            return NULL;
        }
        k++;
    }
    Py_DECREF(seq);
    PyMem_Free(entities);
    entities = tab;
    n_entities = k;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"scan", scan, METH_VARARGS, "scan(html, main_content=True, links=True, timeout_s=0) -> (text, hrefs, base)"},
    {"set_entities", set_entities, METH_O, "set_entities(sorted (name, value) byte pairs)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_htmlscan", NULL, -1, methods};

PyMODINIT_FUNC PyInit__htmlscan(void) {
    init_tags();
    init_keywords();
    return PyModule_Create(&module);
}
