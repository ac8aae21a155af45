//! Test fixture: a realistic 15-block policy paper and its related list.
//!
//! The scenario tests edit this paper the way real editors do and check the
//! redline; long paragraphs matter, since similarity thresholds behave very
//! differently on ten words than on a hundred.

use chrono::NaiveDate;

use crate::document::{Block, Document, Meta, RelatedItem, assign_sections};

pub(crate) const LEAD: &str = "Across the arid West, farms and cities are drawing groundwater faster than rain and snowmelt can replace it. Wells that once reached water at forty feet now go down four hundred, and in some valleys the land itself is sinking. This paper explains why the current rules reward pumping first and conserving last, and what state legislatures can do about it before aquifers that took ten thousand years to fill are exhausted within a single generation.";

pub(crate) const FACTS: [&str; 3] = [
    "Groundwater supplies roughly forty percent of the water used for irrigation in the United States, and in drought years that share climbs above sixty percent in California, Arizona and Kansas. Unlike rivers, aquifers are invisible, and most states never measured how much water they held before pumping began. Monitoring networks remain sparse: in several large basins, fewer than one well in a hundred reports its water level to any public agency, and almost none report the volume they extract.",
    "The legal framework is a patchwork. Some states follow the rule of capture, under which landowners may pump as much as they can put to beneficial use, regardless of the effect on their neighbors. Others apply prior appropriation, correlative rights, or permit systems administered by local districts. In practice, enforcement is weak almost everywhere, because the agencies responsible lack the meters, staff and political backing needed to limit pumping once a basin is in decline.",
    "The consequences are already measurable. Satellite gravity data show that the Central Valley aquifer lost more than forty cubic kilometers of water between 2003 and 2020. Land subsidence has cracked canals, damaged bridges and reduced the capacity of the very infrastructure built to deliver surface water. Domestic wells, which tend to be shallower than agricultural ones, are the first to go dry, leaving rural households, many of them low-income, to haul water or drill deeper at their own expense.",
];

pub(crate) const SIGNIFICANCE: [&str; 2] = [
    "Groundwater is the reserve that carries farms and towns through drought. When it is drawn down in wet years as well as dry ones, that buffer disappears just as climate change makes droughts longer and more severe. A depleted aquifer is not simply a smaller savings account; compaction of clay layers can permanently reduce how much water the ground is able to store, so some of the losses are irreversible on any timescale that matters to policy.",
    "Depletion also shifts costs onto people who did not cause it. Large operations with the capital to drill deep wells can keep pumping while their neighbors lose access, and the public pays to repair subsidence damage to roads and canals. The result is a quiet transfer of wealth from small farms, rural communities and future generations to whoever pumps fastest today, a pattern that existing water law does little to prevent.",
];

pub(crate) const RECOMMENDATIONS: [&str; 6] = [
    "Measure before managing. States should require meters on all high-capacity wells and publish extraction data at the basin level, with protections for individual commercial information. Without reliable numbers, every allocation decision becomes a negotiation over estimates, and the parties with the most to lose from limits have every incentive to dispute them.",
    "Set sustainable yield targets for each basin and a firm deadline to reach them. California's Sustainable Groundwater Management Act offers a model, but its twenty-year timeline is too slow for basins that are already collapsing. Interim milestones, enforced by the state when local agencies fall short, should be part of any new framework adopted by other legislatures.",
    "Create tradable pumping allocations within basins once targets are set. Markets let farmers who can conserve at low cost sell water to those who value it most, which reduces the economic pain of cutting total use. Trading rules must account for local effects, so that sales do not concentrate pumping near vulnerable domestic wells or sensitive streams.",
    "Fund recharge. Capturing floodwater and storing it underground is often cheaper than building new surface reservoirs, and it restores the buffer that depletion has eroded. States should streamline permits for recharge projects on farmland and give landowners credit for the water they put back into the aquifer.",
    "Protect drinking water first. Allocation plans should guarantee supplies for domestic wells and small community systems, and basins should maintain a fund to deepen or replace wells that go dry because of pumping by others. The cost of such a fund is small compared with the cost of emergency water deliveries once households are left without supply.",
    "Align federal programs with these goals. Crop insurance, disaster aid and conservation payments should stop rewarding expansion of irrigated acreage in depleted basins and instead support farmers who switch to less water-intensive crops or fallow land temporarily. Federal agencies can also fund the monitoring networks that many states cannot afford on their own.",
];

/// The paper: lead, "The Facts" + 3, "Significance" + 2, "Policy
/// Recommendations" + 6 (15 blocks).
pub(crate) fn paper() -> Document {
    let mut body = vec![Block::paragraph(LEAD), Block::heading("The Facts", 2)];
    body.extend(FACTS.iter().map(|t| Block::paragraph(*t)));
    body.push(Block::heading("Significance", 2));
    body.extend(SIGNIFICANCE.iter().map(|t| Block::paragraph(*t)));
    body.push(Block::heading("Policy Recommendations", 2));
    body.extend(RECOMMENDATIONS.iter().map(|t| Block::paragraph(*t)));
    assign_sections(&mut body);
    assert_eq!(body.len(), 15);
    Document {
        meta: Meta {
            title: Some("Running Dry: Reforming Groundwater Law in the American West".into()),
            series: Some("Policy Paper".into()),
            published: NaiveDate::from_ymd_opt(2023, 9, 27),
            authors: vec!["Ana Ruiz".into(), "Thomas Keller".into()],
            topics: vec!["Water".into(), "Agriculture".into(), "Climate".into()],
            canonical_url: Some("https://example.org/research/running-dry".into()),
            language: Some("en".into()),
        },
        body,
        related: (0..6).map(related_item).collect(),
        ..Document::default()
    }
}

const RELATED_TITLES: [&str; 8] = [
    "The Colorado River Compact at One Hundred",
    "Paying Farmers to Fallow: Lessons from Imperial Valley",
    "Subsidence and the Cost of Doing Nothing",
    "Water Markets Without Losers",
    "Drinking Water Equity in Rural California",
    "Recharge at Scale: Flood-MAR After Five Years",
    "Crop Insurance and the Incentive to Irrigate",
    "What Australia Learned from the Millennium Drought",
];

/// A related-list entry (0..8).
pub(crate) fn related_item(i: usize) -> RelatedItem {
    RelatedItem {
        title: RELATED_TITLES[i].into(),
        summary: Some(format!(
            "An analysis of {} and what it means for western water policy.",
            RELATED_TITLES[i].to_lowercase()
        )),
        date: NaiveDate::from_ymd_opt(2022, 1 + i as u32, 15),
        url: Some(format!("https://example.org/research/item-{i}")),
        credit: Some("REUTERS/Brian Snyder".into()),
    }
}

/// Replaces the paper's body (re-assigning sections).
pub(crate) fn with_body(doc: &Document, mut body: Vec<Block>) -> Document {
    assign_sections(&mut body);
    Document {
        body,
        ..doc.clone()
    }
}
