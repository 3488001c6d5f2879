// wire_membership.h: the membership pieces the codec shares (internal to impl/net/wire*.cc): member
// entries and views to and from Cap'n Proto. The messages themselves are declared in wire.h.
#pragma once

#include <string>

#include <capnp/list.h>

#include "impl/core/membership.h"
#include "spec/dynamo.capnp.h"

namespace dynamo::net::wire_detail {

void write_member_entry(schema::MemberEntry::Builder out, const MemberEntry& entry);
MemberEntry read_member_entry(schema::MemberEntry::Reader in);
// Entries in id order; reading checks the count (kMaxMembershipEntries) and that no id repeats.
void write_members(capnp::List<schema::MemberEntry>::Builder out, const MembershipView& view);
MembershipView read_members(std::string cluster_id, capnp::List<schema::MemberEntry>::Reader in);
void write_view(schema::MembershipView::Builder out, const MembershipView& view);
// Checked with validate_view unless allow_empty and the view has no member (a gossip kSyn's).
MembershipView read_view(schema::MembershipView::Reader in, bool allow_empty);

}  // namespace dynamo::net::wire_detail
