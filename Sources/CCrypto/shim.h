#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

// An HMAC-SHA256 context keyed once; each message is signed on a copy, so the key schedule and the
// provider lookup are paid once per secret, not per message. NULL on failure.
static inline EVP_MAC_CTX *ccrypto_hmac_sha256_new(const void *key, size_t key_len) {
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (mac == NULL) return NULL;
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
    if (ctx == NULL) return NULL;
    OSSL_PARAM params[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
                            OSSL_PARAM_construct_end()};
    if (!EVP_MAC_init(ctx, key, key_len, params)) {
        EVP_MAC_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

// HMAC of prefix + body under `keyed` into `out` (32 bytes). Returns 1 on success. `keyed` is only read.
static inline int ccrypto_hmac_sha256_sign(const EVP_MAC_CTX *keyed, const void *prefix, size_t prefix_len,
                                           const void *body, size_t body_len, unsigned char out[32]) {
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_dup(keyed);
    size_t len = 0;
    int ok = ctx != NULL && EVP_MAC_update(ctx, prefix, prefix_len) && EVP_MAC_update(ctx, body, body_len) &&
             EVP_MAC_final(ctx, out, &len, 32);
    EVP_MAC_CTX_free(ctx);
    return ok && len == 32;
}

static inline void ccrypto_hmac_free(EVP_MAC_CTX *ctx) { EVP_MAC_CTX_free(ctx); }

// SHA-256 of `data` into `out` (32 bytes). Returns 1 on success.
static inline int ccrypto_sha256(const unsigned char *data, size_t data_len, unsigned char out[32]) {
    return EVP_Digest(data, data_len, out, NULL, EVP_sha256(), NULL);
}
// The oldest error libcrypto queued on this thread (0 when none), removed from the queue.
static inline unsigned long ccrypto_last_error(void) { return ERR_get_error(); }
#endif
