//! `status` as text: per facility, the warnings and coverage gaps first,
//! then the decisions and what comes next.

use super::{FacilitySummary, LedgerStatus};

impl LedgerStatus {
    /// Keeps only the facilities with an overdue step or assessment
    /// (`status --overdue`).
    pub fn keep_overdue(&mut self) {
        self.facilities.retain(|f| {
            f.warnings
                .iter()
                .any(|w| w.kind == "step-overdue" || w.kind == "assessment-overdue")
        });
    }

    /// The status as text, one block per facility.
    pub fn to_text(&self) -> String {
        let index = self
            .index
            .as_ref()
            .map_or("no committed index".to_string(), |i| {
                format!("index committed at entry {}", i.entry)
            });
        let mut s = format!(
            "ledger: {} entries ({} statements, {index}); as of {}\n",
            self.tree_size, self.statements, self.as_of
        );
        let party = |p: &Option<super::PartyAt>| {
            p.as_ref().map_or("none designated".to_string(), |p| {
                format!("party {} (entry {})", p.party, p.entry)
            })
        };
        s.push_str(&format!(
            "scheme: User CIO {}; SSC {}\n",
            party(&self.designated.user_cio),
            party(&self.designated.ssc)
        ));
        for f in &self.facilities {
            s.push('\n');
            s.push_str(&f.to_text());
        }
        s
    }

    /// JSON (the documented `status --json` object).
    pub fn to_json(&self) -> String {
        // Serialising plain structs of strings, numbers and options cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn entries(v: &[u64]) -> String {
    if v.is_empty() {
        return "no evidence".into();
    }
    let list: Vec<String> = v.iter().map(u64::to_string).collect();
    format!("evidence {}", list.join(", "))
}

impl FacilitySummary {
    /// One facility as text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} — {} (party {}; registered at entry {}; {} evidence seal{})\n",
            self.id,
            self.name,
            self.party,
            self.registered,
            self.seals,
            if self.seals == 1 { "" } else { "s" }
        );
        for w in &self.warnings {
            s.push_str(&format!("  WARNING   {}\n", w.message));
        }
        if let Some(fw) = &self.framework {
            let gaps: Vec<_> = self.coverage.iter().filter(|c| c.is_gap()).collect();
            let judged = match &self.decision_framework {
                Some(v) if v != fw => format!(" (the latest decision was judged by {v})"),
                _ => String::new(),
            };
            s.push_str(&format!(
                "  coverage  framework {fw}: {} of {} applicable obligations met with evidence{judged}\n",
                self.coverage.len() - gaps.len(),
                self.coverage.len()
            ));
            for c in &gaps {
                let finding = c.finding.as_deref().unwrap_or("no finding");
                let step = c
                    .step
                    .as_ref()
                    .map(|st| format!(", step {st}"))
                    .unwrap_or_default();
                s.push_str(&format!(
                    "    gap     {:<8} {finding}{step}; {}\n",
                    c.obligation,
                    entries(&c.evidence)
                ));
            }
            let met: Vec<&str> = self
                .coverage
                .iter()
                .filter(|c| !c.is_gap())
                .map(|c| c.obligation.as_str())
                .collect();
            if !met.is_empty() {
                s.push_str(&format!("    met     {}\n", met.join(", ")));
            }
        }
        match &self.current {
            None => s.push_str("  current   no decision yet\n"),
            Some(c) => {
                let over = if c.overturned { " — overturned" } else { "" };
                s.push_str(&format!(
                    "  current   {} {} (entry {}){over}\n",
                    c.assessment, c.outcome, c.entry
                ));
            }
        }
        for d in &self.decisions {
            let ack = match &d.acknowledged {
                Some(a) => format!("acknowledged ({}, entry {})", a.position, a.entry),
                None => "acknowledgement pending".into(),
            };
            s.push_str(&format!(
                "  decision  entry {}: {} {} — {ack}\n",
                d.entry, d.assessment, d.outcome
            ));
        }
        for st in &self.open_steps {
            let state = match (st.completed, st.overdue) {
                (true, _) => "completed, awaiting acceptance",
                (false, true) => "OVERDUE",
                (false, false) => "open",
            };
            s.push_str(&format!("  step      {} due {} — {state}\n", st.id, st.due));
        }
        match &self.next_assessment {
            Some(n) => {
                let due = n
                    .due
                    .as_ref()
                    .map(|d| format!(" due {d}"))
                    .unwrap_or_default();
                let over = if n.overdue { " — OVERDUE" } else { "" };
                let sa = n
                    .self_assessment
                    .map(|i| {
                        format!(" — self-assessment at entry {i} awaits the User CIO's review")
                    })
                    .unwrap_or_default();
                s.push_str(&format!("  next      {}{due}{over}{sa}\n", n.assessment));
            }
            None => s.push_str(&format!(
                "  next      awaiting {}\n",
                self.awaiting.as_deref().unwrap_or("a decision")
            )),
        }
        for d in &self.open_disputes {
            s.push_str(&format!(
                "  dispute   entry {} against decision {} — open\n",
                d.entry, d.decision
            ));
        }
        if let Some(inv) = &self.inventory {
            s.push_str(&format!(
                "  tools     {} tools, {} interfaces (inventory entry {})\n",
                inv.tools.len(),
                inv.interfaces.len(),
                inv.entry
            ));
        }
        s
    }
}
