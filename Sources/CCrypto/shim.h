#ifndef CCRYPTO_SHIM_H
#define CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>

// HMAC-SHA256 of `data` under `key` into `out` (32 bytes). Returns 1 on success.
static inline int ccrypto_hmac_sha256(const void *key, int key_len, const unsigned char *data, size_t data_len,
                                      unsigned char out[32]) {
    unsigned int out_len = 32;
    return HMAC(EVP_sha256(), key, key_len, data, data_len, out, &out_len) != NULL && out_len == 32;
}

// SHA-256 of `data` into `out` (32 bytes). Returns 1 on success.
static inline int ccrypto_sha256(const unsigned char *data, size_t data_len, unsigned char out[32]) {
    return EVP_Digest(data, data_len, out, NULL, EVP_sha256(), NULL);
}
#endif
