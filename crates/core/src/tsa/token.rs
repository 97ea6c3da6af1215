//! Reading a time-stamp reply and token: the RFC 3161 and RFC 5652
//! structures through the RustCrypto `x509-tsp` and `cms` types, with two
//! allowances for what real TSAs write (see the module above): `genTime`
//! with fractional seconds, and the signed attributes taken as their bytes
//! in the token.

use der::asn1::{GeneralizedTime, Int, ObjectIdentifier};
use der::{Decode, DecodeValue, Encode, EncodeValue, FixedTag, Header, Length, Reader, Sequence};

use super::TsaError;

/// id-signedData.
pub(super) const ID_SIGNED_DATA: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// id-ct-TSTInfo.
pub(super) const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// What a token says: RFC 3161's `TSTInfo`, as a verifier reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timestamp {
    /// `genTime`, whole seconds since the epoch (UTC).
    pub gen_time: u64,
    /// The fraction of a second `genTime` carries, in microseconds.
    pub gen_micros: u32,
    /// `genTime` as the token writes it (`YYYYMMDDHHMMSS[.f]Z`).
    pub gen_time_text: String,
    /// `accuracy`, in microseconds, if the TSA states one.
    pub accuracy_micros: Option<u64>,
    /// The TSA's policy OID.
    pub policy: String,
    /// The serial number, hex.
    pub serial: String,
    /// The hash algorithm of the imprint.
    pub(super) hash_oid: ObjectIdentifier,
    /// The hashed message.
    pub imprint: Vec<u8>,
    /// The nonce, as its INTEGER content bytes.
    pub(super) nonce: Option<Vec<u8>>,
    /// The TSA's name in the token (`tsa`), if it gives one.
    pub tsa_name: Option<String>,
}

impl Timestamp {
    /// The time by which the stamped data existed: `genTime` plus the
    /// stated accuracy, rounded up to a whole second (the TSA's clock may
    /// be ahead or behind by the accuracy; the later end is what it vouches
    /// for).
    pub fn bound(&self) -> u64 {
        let micros = u64::from(self.gen_micros) + self.accuracy_micros.unwrap_or(0);
        self.gen_time + micros.div_ceil(1_000_000)
    }

    /// "by T (genTime G, accuracy ±A s)".
    pub fn describe_bound(&self) -> String {
        let acc = match self.accuracy_micros {
            Some(a) => format!("accuracy ±{} s", micros_text(a)),
            None => "no accuracy stated".into(),
        };
        format!(
            "by {} (genTime {}, {acc})",
            crate::text::utc(self.bound()),
            self.gen_time_iso()
        )
    }

    /// `genTime` in ISO 8601, with its fraction.
    pub fn gen_time_iso(&self) -> String {
        let whole = crate::text::utc(self.gen_time);
        match self.gen_time_text.split_once('.') {
            Some((_, frac)) => format!(
                "{}.{}Z",
                whole.trim_end_matches('Z'),
                frac.trim_end_matches('Z')
            ),
            None => whole,
        }
    }

    pub(super) fn check_imprint(&self, imprint: &[u8; 32]) -> Result<(), TsaError> {
        if self.hash_oid != super::SHA256 {
            return Err(TsaError::Mismatch(format!(
                "its imprint is hashed with {}, not SHA-256",
                self.hash_oid
            )));
        }
        if self.imprint != imprint {
            return Err(TsaError::Mismatch(format!(
                "it stamps sha256 {}, not this checkpoint's {}",
                crate::hex::encode(&self.imprint),
                crate::hex::encode(imprint)
            )));
        }
        Ok(())
    }
}

fn micros_text(m: u64) -> String {
    let s = format!("{}.{:06}", m / 1_000_000, m % 1_000_000);
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A nonce as a positive INTEGER.
pub(super) fn nonce_int(nonce: u64) -> Int {
    let b = nonce.to_be_bytes();
    let start = b.iter().position(|&x| x != 0).unwrap_or(7);
    let mut v = b[start..].to_vec();
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    Int::new(&v).expect("a minimal positive integer")
}

/// A token, read but not yet verified.
pub(super) struct TokenInfo {
    pub(super) timestamp: Timestamp,
    /// The `TSTInfo` bytes the signature's message digest covers.
    pub(super) econtent: Vec<u8>,
    pub(super) signer: cms::signed_data::SignerInfo,
    /// The signed attributes as in the token, tagged as a SET (what is
    /// signed: RFC 5652 §5.4).
    pub(super) signed_attrs: Vec<u8>,
    /// The certificates the token carries.
    pub(super) certificates: Vec<x509_cert::Certificate>,
}

/// One TLV of a DER byte string: its tag, its contents, all its bytes.
struct Tlv<'a> {
    tag: der::Tag,
    content: &'a [u8],
    whole: &'a [u8],
}

/// The TLVs one after another in `bytes`.
fn tlvs(bytes: &[u8]) -> der::Result<Vec<Tlv<'_>>> {
    let mut r = der::SliceReader::new(bytes)?;
    let mut out = Vec::new();
    while !r.is_finished() {
        let start = usize::try_from(r.position())?;
        let h = Header::decode(&mut r)?;
        let content = r.read_slice(h.length)?;
        let end = usize::try_from(r.position())?;
        out.push(Tlv {
            tag: h.tag,
            content,
            whole: &bytes[start..end],
        });
    }
    Ok(out)
}

/// The one TLV a structure must hold here.
fn one(v: Vec<Tlv<'_>>) -> der::Result<Tlv<'_>> {
    let n = v.len();
    v.into_iter()
        .next()
        .filter(|_| n == 1)
        .ok_or_else(|| der::Tag::Sequence.value_error())
}

/// The signed attributes' bytes as in the token (`[0] IMPLICIT SET OF`),
/// re-tagged as the SET they are signed as.
fn raw_signed_attrs(token: &[u8]) -> der::Result<Vec<u8>> {
    let ci = one(tlvs(token)?)?;
    let parts = tlvs(ci.content)?;
    let explicit = parts.get(1).ok_or(der::Tag::Sequence.value_error())?;
    let sd = one(tlvs(explicit.content)?)?;
    let fields = tlvs(sd.content)?;
    let infos = fields.last().ok_or(der::Tag::Set.value_error())?;
    let info = one(tlvs(infos.content)?)?;
    let attrs = tlvs(info.content)?
        .into_iter()
        .find(|t| t.tag.is_context_specific() && t.tag.number() == der::TagNumber::N0)
        .ok_or(der::Tag::Set.value_error())?;
    let mut out = attrs.whole.to_vec();
    out[0] = 0x31;
    Ok(out)
}

/// The token a `TimeStampResp` carries, after its status says granted.
pub(super) fn token_of_reply(reply: &[u8]) -> Result<Vec<u8>, TsaError> {
    if reply.len() > super::MAX_TOKEN_SIZE {
        return Err(TsaError::TooLarge {
            what: "the reply",
            size: reply.len(),
        });
    }
    let bad = |e: der::Error| TsaError::malformed("TimeStampResp", e);
    let resp = x509_tsp::TimeStampResp::from_der(reply).map_err(bad)?;
    use cmpv2::status::PkiStatus;
    let status = resp.status.status;
    if !matches!(status, PkiStatus::Accepted | PkiStatus::GrantedWithMods) {
        let mut text = String::new();
        if let Some(t) = &resp.status.status_string {
            for s in t.iter() {
                text.push_str(&format!(": {}", s.as_str()));
            }
        }
        if let Some(f) = &resp.status.fail_info {
            text.push_str(&format!(" (failure info {f:?})"));
        }
        return Err(TsaError::NotGranted {
            status: status as u8,
            text,
        });
    }
    // The token's own bytes, as the TSA wrote them.
    let parts = tlvs(tlvs(reply).map_err(bad)?[0].content).map_err(bad)?;
    match parts.get(1) {
        Some(t) => Ok(t.whole.to_vec()),
        None => Err(TsaError::malformed(
            "TimeStampResp",
            "granted, but it carries no token",
        )),
    }
}

/// `GeneralizedTime` as RFC 3161 §2.4.2 allows it: `YYYYMMDDHHMMSS[.f*]Z`,
/// fractional seconds included (a strict DER `GeneralizedTime` has none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct GenTime {
    pub(super) text: String,
    pub(super) secs: u64,
    pub(super) micros: u32,
}

impl FixedTag for GenTime {
    const TAG: der::Tag = der::Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for GenTime {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_vec(header.length)?;
        let bad = || der::Tag::GeneralizedTime.value_error();
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let body = text.strip_suffix('Z').ok_or_else(bad)?;
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        if whole.len() != 14 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let micros = match frac {
            None => 0,
            // RFC 3161: no trailing zeros, and no dot without digits.
            Some(f)
                if f.is_empty()
                    || f.ends_with('0')
                    || f.len() > 9
                    || !f.bytes().all(|b| b.is_ascii_digit()) =>
            {
                return Err(bad())
            }
            Some(f) => {
                let six: String = f.chars().chain(std::iter::repeat('0')).take(6).collect();
                six.parse::<u32>().map_err(|_| bad())?
            }
        };
        // The whole seconds through der's own (strict) GeneralizedTime.
        let strict = format!("{whole}Z");
        let mut enc = vec![0x18, strict.len() as u8];
        enc.extend_from_slice(strict.as_bytes());
        let t = GeneralizedTime::from_der(&enc)?;
        Ok(GenTime {
            secs: t.to_unix_duration().as_secs(),
            micros,
            text,
        })
    }
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.text.len())
    }
    fn encode_value(&self, writer: &mut impl der::Writer) -> der::Result<()> {
        writer.write(self.text.as_bytes())
    }
}

/// RFC 3161's `TSTInfo`, as `x509_tsp::TstInfo` with [`GenTime`].
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TstInfo {
    version: x509_tsp::TspVersion,
    policy: ObjectIdentifier,
    message_imprint: x509_tsp::MessageImprint,
    serial_number: Int,
    gen_time: GenTime,
    #[asn1(optional = "true")]
    accuracy: Option<x509_tsp::Accuracy>,
    #[asn1(default = "Default::default")]
    ordering: bool,
    #[asn1(optional = "true")]
    nonce: Option<Int>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    tsa: Option<x509_cert::ext::pkix::name::GeneralName>,
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    extensions: Option<x509_cert::ext::Extensions>,
}

/// Reads a token (a `ContentInfo` holding `SignedData` over a `TSTInfo`).
pub(super) fn read(token: &[u8]) -> Result<TokenInfo, TsaError> {
    use cms::content_info::ContentInfo;
    use cms::signed_data::{CertificateSet, SignedData};
    let bad = |e: der::Error| TsaError::malformed("time-stamp token", e);
    let ci = ContentInfo::from_der(token).map_err(bad)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(TsaError::malformed(
            "time-stamp token",
            format!("content type {}, not signed data", ci.content_type),
        ));
    }
    let sd: SignedData = ci.content.decode_as().map_err(bad)?;
    if sd.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(TsaError::malformed(
            "time-stamp token",
            format!(
                "it signs {}, not a TSTInfo",
                sd.encap_content_info.econtent_type
            ),
        ));
    }
    let econtent = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| TsaError::malformed("time-stamp token", "no TSTInfo in it"))?;
    let econtent = der::asn1::OctetString::from_der(&econtent.to_der().map_err(bad)?)
        .map_err(bad)?
        .into_bytes();
    let tst = TstInfo::from_der(&econtent).map_err(|e| TsaError::malformed("TSTInfo", e))?;
    let mut infos = sd.signer_infos.0.into_vec();
    if infos.len() != 1 {
        return Err(TsaError::malformed(
            "time-stamp token",
            format!("{} signers, a token has one", infos.len()),
        ));
    }
    let signer = infos.remove(0);
    let signed_attrs = raw_signed_attrs(token)
        .map_err(|_| TsaError::Signature("no signed attributes (RFC 3161 requires them)".into()))?;
    let certificates = sd
        .certificates
        .map(|CertificateSet(s)| s.into_vec())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| match c {
            cms::cert::CertificateChoices::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let accuracy_micros = tst.accuracy.as_ref().map(|a| {
        a.seconds.unwrap_or(0) * 1_000_000
            + u64::try_from(a.millis.unwrap_or(0)).unwrap_or(0) * 1_000
            + u64::try_from(a.micros.unwrap_or(0)).unwrap_or(0)
    });
    let tsa_name = tst.tsa.as_ref().map(|g| match g {
        x509_cert::ext::pkix::name::GeneralName::DirectoryName(n) => n.to_string(),
        other => format!("{other:?}"),
    });
    Ok(TokenInfo {
        timestamp: Timestamp {
            gen_time: tst.gen_time.secs,
            gen_micros: tst.gen_time.micros,
            gen_time_text: tst.gen_time.text.clone(),
            accuracy_micros,
            policy: tst.policy.to_string(),
            serial: crate::hex::encode(tst.serial_number.as_bytes()),
            hash_oid: tst.message_imprint.hash_algorithm.oid,
            imprint: tst.message_imprint.hashed_message.as_bytes().to_vec(),
            nonce: tst.nonce.as_ref().map(|n| n.as_bytes().to_vec()),
            tsa_name,
        },
        econtent,
        signer,
        signed_attrs,
        certificates,
    })
}
