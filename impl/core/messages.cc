#include "impl/core/messages.h"

#include "impl/core/effects.h"

namespace dynamo {

const char* message_name(const PeerMessage& message) {
  static constexpr const char* kNames[] = {"Store", "StoreAck", "Read", "ReadReply", "Repair",
                                           "Handoff", "HandoffAck", "KeySync", "TransferKey", "TransferAck",
                                           "TreeHashRequest", "TreeHashReply", "TreeLeafRequest", "TreeLeafReply",
                                           "ReapQuery", "ReapReply"};
  static_assert(std::size(kNames) == std::variant_size_v<PeerMessage>);
  return kNames[message.index()];
}

const char* reply_status_name(ReplyStatus status) {
  switch (status) {
    case ReplyStatus::kOk: return "ok";
    case ReplyStatus::kFailed: return "failed";
    case ReplyStatus::kUnknown: return "unknown";
    case ReplyStatus::kRedirect: return "redirect";
  }
  return "?";
}

const char* spec_action_name(SpecAction action) {
  switch (action) {
    case SpecAction::kCoordinatePut: return "CoordinatePut";
    case SpecAction::kPersistPut: return "PersistPut";
    case SpecAction::kStoreVersion: return "StoreVersion";
    case SpecAction::kAckPut: return "AckPut";
    case SpecAction::kCompletePut: return "CompletePut";
    case SpecAction::kPutTimeout: return "PutTimeout";
    case SpecAction::kResendPut: return "ResendPut";
    case SpecAction::kClientGet: return "ClientGet";
    case SpecAction::kReplicaRead: return "ReplicaRead";
    case SpecAction::kCompleteGet: return "CompleteGet";
    case SpecAction::kGetTimeout: return "GetTimeout";
    case SpecAction::kReadRepair: return "ReadRepair";
    case SpecAction::kDeliverHint: return "DeliverHint";
    case SpecAction::kDeleteHint: return "DeleteHint";
    case SpecAction::kAntiEntropy: return "AntiEntropy";
  }
  return "?";
}

}  // namespace dynamo
