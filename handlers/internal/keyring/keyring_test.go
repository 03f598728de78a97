package keyring

import (
	"bytes"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := k.Seal("jwt", []byte("private"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("private")) {
		t.Fatal("sealed value holds the plaintext")
	}
	got, err := k.Open("jwt", sealed)
	if err != nil || string(got) != "private" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open("other", sealed); err == nil {
		t.Fatal("a value sealed for one purpose opened for another")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open("jwt", sealed); err == nil {
		t.Fatal("a value opened under another secret")
	}
	if bytes.Equal(k.Key("a"), k.Key("b")) {
		t.Fatal("two purposes share a key")
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("a short secret was accepted")
	}
}

func TestKeyIsStableAndNotShared(t *testing.T) {
	t.Parallel()
	k, _ := New(bytes.Repeat([]byte{9}, 32))
	first := k.Key("p")
	first[0] ^= 0xff // a caller scribbling on its copy
	if bytes.Equal(first, k.Key("p")) || !bytes.Equal(k.Key("p"), k.Key("p")) {
		t.Fatal("Key must return the same key each time, as a copy of its own")
	}
	if !bytes.Equal(k.MAC("p", []byte("m")), k.MAC("p", []byte("m"))) {
		t.Fatal("MAC is not stable")
	}
}
