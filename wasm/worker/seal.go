package worker

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Sealer keeps secrets at rest (a user's tokens, the application_token) encrypted with
// AES-256-GCM. The key is SHA-256 of the Worker secret TOKEN_KEY under a label, so a
// secret of any length gives a full key. Each sealed value is bound to where it is kept
// (the additional data, e.g. "tokens/<member>/<user>"): a sealed value copied to another
// key does not open.
type Sealer struct{ aead cipher.AEAD }

// MinTokenKey is the shortest TOKEN_KEY accepted.
const MinTokenKey = 32

var errShortKey = errors.New("TOKEN_KEY must be at least 32 characters")

// NewSealer makes a Sealer from the TOKEN_KEY secret.
func NewSealer(secret string) (*Sealer, error) {
	if len(secret) < MinTokenKey {
		return nil, errShortKey
	}
	key := sha256.Sum256([]byte("markunread tokens at rest v1\x00" + secret))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain for the place named by where; the result is base64 text.
func (s *Sealer) Seal(where, plain string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := s.aead.Seal(nonce, nonce, []byte(plain), []byte(where))
	return base64.RawStdEncoding.EncodeToString(out), nil
}

var errSealed = errors.New("a sealed value does not open: wrong TOKEN_KEY or moved")

// Open decrypts what Seal gave for the same where.
func (s *Sealer) Open(where, sealed string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(sealed)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return "", errSealed
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(where))
	if err != nil {
		return "", errSealed
	}
	return string(plain), nil
}
