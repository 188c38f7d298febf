"""Callback crypto against the official vectors, and against an independent implementation."""

from __future__ import annotations

import pytest

from bot.adapters.wecom.crypto import BadSignature, CallbackCrypto, MalformedCallback, signature
from tests.fakes.wecom_callbacks import CallbackSigner, random_aes_key

# Tencent's WXBizMsgCrypt sample for WeCom (weworkapi_python callback/Sample.py).
TENCENT = {
    "token": "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
    "key": "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
    "corp_id": "ww1436e0e65a779aee",
}
TENCENT_POST = (
    "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n"
    "<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7"
    "AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6"
    "A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFr"
    "dkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAy"
    "h+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n"
    "<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
)
# wechatpy's tests (tests/test_crypto.py), WeCom section.
WECHATPY = {
    "token": "123456",
    "key": "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
    "corp_id": "wx49f0ab532d5d035a",
}
WECHATPY_POST = (
    "<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>\n"
    "<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu"
    "7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFY"
    "gm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmU"
    "HzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPO"
    "QipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>\n"
    "<AgentID><![CDATA[1]]></AgentID>\n</xml>"
)


def tencent() -> CallbackCrypto:
    return CallbackCrypto(TENCENT["token"], TENCENT["key"], TENCENT["corp_id"])


def test_official_url_verification_vector() -> None:
    echo = tencent().verify_url(
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
        "1476416373",
        "47744683",
        "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
    )
    assert echo == "1288432023552776189"


def test_official_message_vector() -> None:
    xml = tencent().decrypt(
        "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", TENCENT_POST
    )
    assert "<FromUserName>ChenJiaShun</FromUserName>" in xml
    assert "<Content>你好</Content>" in xml
    assert "<MsgId>1456453720</MsgId>" in xml


def test_wechatpy_vectors() -> None:
    crypto = CallbackCrypto(WECHATPY["token"], WECHATPY["key"], WECHATPY["corp_id"])
    echo = crypto.verify_url(
        "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
        "1411443780",
        "437374425",
        "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
    )
    assert echo == "5927782489442352469"
    xml = crypto.decrypt(
        "74d92dfeb87ba7c714f89d98870ae5eb62dff26d", "1411525903", "461056294", WECHATPY_POST
    )
    assert "<Content><![CDATA[test]]></Content>" in xml
    assert "messense" in xml


def test_url_decoding_that_turned_plus_into_space_is_undone() -> None:
    # An unescaped '+' in echostr arrives as ' ' after query decoding.
    mangled = (
        "fsi1xnbH4yQh0 PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="
    )
    echo = tencent().verify_url(
        "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb", "1476416373", "47744683", mangled
    )
    assert echo == "1288432023552776189"


def test_one_changed_character_fails_the_signature() -> None:
    with pytest.raises(BadSignature):
        tencent().decrypt(
            "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212915", TENCENT_POST
        )
    with pytest.raises(BadSignature):
        tencent().verify_url(
            "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebec",
            "1476416373",
            "47744683",
            "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
        )


def test_other_corps_payload_is_refused_even_with_a_valid_signature() -> None:
    # Same token and key, but configured for another corp: the receive id does not match.
    crypto = CallbackCrypto(TENCENT["token"], TENCENT["key"], "ww0000000000000000")
    with pytest.raises(BadSignature, match="CorpID"):
        crypto.decrypt(
            "0c3914025cb4b4d68103f6bfc8db550f79dcf48e", "1476422779", "1597212914", TENCENT_POST
        )


def test_independent_encryption_round_trips_with_chinese_text() -> None:
    key = random_aes_key()
    signer = CallbackSigner("tok", key, "wwcorp")
    inner = "<xml><Content><![CDATA[请初审《关于国庆假期景区开放的通知》]]></Content></xml>"
    request = signer.post(inner)
    crypto = CallbackCrypto("tok", key, "wwcorp")
    p = request.params
    assert crypto.decrypt(p["msg_signature"], p["timestamp"], p["nonce"], request.body) == inner


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<xml><Encrypt></Encrypt></xml>",
        b"<xml><ToUserName>x</ToUserName></xml>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>',
        b"<xml><Encrypt>" + b"A" * 70000 + b"</Encrypt></xml>",
    ],
)
def test_malformed_envelopes_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedCallback):
        tencent().decrypt("0" * 40, "1476422779", "1", body)


def test_correctly_signed_garbage_does_not_decrypt() -> None:
    crypto = tencent()
    for garbage in ("not base64!!", "QUJD", "A" * 44):
        sig = signature(TENCENT["token"], "1", "2", garbage)
        with pytest.raises(MalformedCallback):
            crypto.decrypt(sig, "1", "2", f"<xml><Encrypt>{garbage}</Encrypt></xml>")


def test_encoding_aes_key_must_be_43_characters() -> None:
    with pytest.raises(ValueError, match="43"):
        CallbackCrypto("t", "short", "c")
