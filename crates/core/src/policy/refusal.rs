//! Why a rule refused a statement, as stable codes: one enum per rule whose
//! refusals differ in kind, each case with a code `rule/case` that clients,
//! reports and tests match on (the message beside it is for people and may
//! change). [`super::PolicyError::code`] gives any refusal's code;
//! [`all_codes`] lists every code the policy can give.

/// Declares a rule's refusals: the enum, its cases and their codes.
macro_rules! refusals {
    (
        $(#[$meta:meta])*
        $name:ident = $rule:literal {
            $( $(#[$vmeta:meta])* $case:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $case, )*
        }

        impl $name {
            /// Every case, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$case,)*];

            /// The stable code: `rule/case`.
            pub fn code(self) -> &'static str {
                match self {
                    $( $name::$case => concat!($rule, "/", $code), )*
                }
            }
        }
    };
}

refusals! {
    /// Why the lifecycle rule (domain.md's order of an assessment) refused.
    Lifecycle = "lifecycle" {
        /// The facility is already registered.
        AlreadyRegistered = "already-registered",
        /// The facility is not registered.
        NotRegistered = "not-registered",
        /// The latest decision has no SSC determination of the next
        /// assessment yet.
        AwaitsDetermination = "awaits-determination",
        /// The decision is not of the category the lifecycle expects.
        WrongAssessment = "wrong-assessment",
        /// A USSA reviews a self-assessment, and none awaits review.
        NoSelfAssessmentPending = "no-self-assessment-pending",
        /// A USSA reviews the latest self-assessment, not an older one.
        NotLatestSelfAssessment = "not-latest-self-assessment",
        /// The referenced decision is not one of this facility's.
        NotThisFacilitysDecision = "decision-of-another-facility",
        /// The decision has no such additional step.
        NoSuchStep = "no-such-step",
        /// The step was already completed.
        StepAlreadyCompleted = "step-already-completed",
        /// The referenced completion is not a pending step.
        NotAPendingStep = "not-a-pending-step",
        /// The step was already accepted.
        StepAlreadyAccepted = "step-already-accepted",
        /// There is no decision to follow.
        NoDecision = "no-decision",
        /// A determination follows the latest decision only.
        NotLatestDecision = "not-latest-decision",
        /// A determination follows an effective approval only.
        NotAnApproval = "not-an-effective-approval",
        /// The decision already has a determination.
        AlreadyDetermined = "already-determined",
        /// The decision is disputed: the SSC resolves the dispute first.
        DecisionDisputed = "decision-disputed",
        /// The operator announced a dispute of the decision.
        DisputeAnnounced = "dispute-announced",
        /// The operator has not acknowledged the decision yet.
        NotAcknowledged = "not-acknowledged",
        /// The decision already has an open dispute.
        DisputeAlreadyOpen = "dispute-already-open",
        /// The decision was already acknowledged.
        AlreadyAcknowledged = "already-acknowledged",
        /// A self-assessment answers a determination of a USSA only.
        NoUssaDetermined = "no-ussa-determined",
        /// The facility already belongs to that party.
        AlreadyOwner = "already-owner",
        /// The referenced entry is not an open dispute.
        NotAnOpenDispute = "not-an-open-dispute",
        /// An entry was applied out of log order.
        OutOfOrder = "out-of-order",
    }
}

refusals! {
    /// Why the authority rule (who may act for which party) refused.
    Authority = "authority" {
        /// The certificate names no party.
        NoParty = "no-party",
        /// The SSC designates only the User CIO's party.
        SscDesignatesOnlyUserCio = "ssc-designates-only-user-cio",
        /// The User CIO or the SSC acts on its own party's facility.
        NotIndependent = "not-independent",
        /// An operator of another party than the facility's owner.
        NotOwner = "not-owner",
        /// No party is designated for the role yet.
        NoDesignation = "no-designation",
        /// The signer's party is not the one designated for the role.
        NotDesignatedParty = "not-designated-party",
    }
}

refusals! {
    /// Why the framework rule (citing the controls framework) refused.
    Framework = "framework" {
        /// The id is not an obligation of the framework.
        NotAnObligation = "not-an-obligation",
        /// The obligation does not apply to Triage Facilities.
        DoesNotApply = "does-not-apply",
        /// The referenced entry is not a published framework.
        NotAFramework = "not-a-framework",
        /// A framework is in force and the record cites none.
        CitationMissing = "citation-missing",
        /// The cited version is superseded.
        Superseded = "superseded",
        /// The version was already published.
        AlreadyPublished = "already-published",
    }
}

refusals! {
    /// Why the coverage rule (findings against the framework and the
    /// outcome) refused.
    Coverage = "coverage" {
        /// An approval with obligations not met.
        ApprovalWithNotMet = "approval-with-not-met",
        /// Approved subject to steps that do not name every obligation not met.
        StepsDoNotCover = "steps-do-not-cover",
        /// A rejection with no obligation found not met.
        RejectionWithoutNotMet = "rejection-without-not-met",
        /// An applicable obligation has no finding.
        MissingFinding = "missing-finding",
    }
}

refusals! {
    /// Why the claims rule (header claims against the record and the
    /// certificate) refused.
    Claims = "claims" {
        /// `iss` is not the signer's certificate subject.
        IssuerNotSubject = "iss-not-subject",
        /// `sub` is not the record's facility.
        SubjectNotFacility = "sub-not-facility",
    }
}

refusals! {
    /// Why the reference rule (what a record may reference) refused.
    Reference = "reference" {
        /// No entry at that index.
        NoSuchEntry = "no-such-entry",
        /// The SHA-256 is not the logged statement's.
        DigestMismatch = "digest-mismatch",
        /// A record of that kind may not be referenced there.
        WrongKind = "wrong-kind",
        /// The referenced statement is about another facility.
        OtherFacility = "other-facility",
    }
}

/// The codes of the refusals that have one case each.
pub(super) mod single {
    pub const MALFORMED: &str = "malformed/statement";
    pub const RECORD: &str = "record/invalid";
    pub const CERTIFICATE: &str = "certificate/unreadable";
    pub const SIGNATURE: &str = "signature/invalid";
    pub const ROLE: &str = "role/wrong-role";
    pub const VALIDITY: &str = "validity/not-valid-at";
    pub const CHAIN: &str = "chain/untrusted";
    pub const FUTURE_IAT: &str = "future-iat/in-the-future";
    pub const STALE_IAT: &str = "stale-iat/too-old";
    pub const REVOKED: &str = "revoked/signer-revoked";
    pub const DUPLICATE: &str = "duplicate/already-in-force";
    pub const INDEX: &str = "index/mismatch";
    pub const UNAVAILABLE: &str = "state-index/unavailable";
}

/// Every code the registration policy can give, each once.
pub fn all_codes() -> Vec<&'static str> {
    use single::*;
    let mut codes = vec![
        MALFORMED,
        RECORD,
        CERTIFICATE,
        SIGNATURE,
        ROLE,
        VALIDITY,
        CHAIN,
        FUTURE_IAT,
        STALE_IAT,
        REVOKED,
        DUPLICATE,
        INDEX,
        UNAVAILABLE,
    ];
    codes.extend(Lifecycle::ALL.iter().map(|c| c.code()));
    codes.extend(Authority::ALL.iter().map(|c| c.code()));
    codes.extend(Framework::ALL.iter().map(|c| c.code()));
    codes.extend(Coverage::ALL.iter().map(|c| c.code()));
    codes.extend(Claims::ALL.iter().map(|c| c.code()));
    codes.extend(Reference::ALL.iter().map(|c| c.code()));
    codes
}
