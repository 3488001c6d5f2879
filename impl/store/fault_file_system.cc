// fault_file_system.cc: see fault_file_system.h.
#include "impl/store/fault_file_system.h"

#include <filesystem>

#include "impl/core/check.h"

namespace dynamo::store {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

IOStatus power_is_off() { return IOStatus::IOError("fault file system: power is off"); }

class FaultWritableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultWritableFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultFileSystem* fs,
                    std::shared_ptr<FaultFileSystem::FileState> state)
      : FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), state_(std::move(state)) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (!fs_->active()) return power_is_off();
    IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) fs_->on_append(state_, data.size());
    return s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    if (!fs_->active()) return power_is_off();
    IOStatus s = target()->Append(data, options, info, dbg);
    if (s.ok()) fs_->on_append(state_, data.size());
    return s;
  }
  IOStatus PositionedAppend(const Slice&, std::uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::NotSupported("fault file system: positioned append");
  }
  IOStatus PositionedAppend(const Slice&, std::uint64_t, const IOOptions&,
                            const rocksdb::DataVerificationInfo&, IODebugContext*) override {
    return IOStatus::NotSupported("fault file system: positioned append");
  }
  IOStatus Truncate(std::uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::NotSupported("fault file system: truncate");
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    if (!fs_->active()) return power_is_off();
    return target()->Flush(options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (!fs_->active()) return power_is_off();
    IOStatus s = target()->Sync(options, dbg);
    if (s.ok()) fs_->on_sync(state_);
    return s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (!fs_->active()) return power_is_off();
    IOStatus s = target()->Fsync(options, dbg);
    if (s.ok()) fs_->on_sync(state_);
    return s;
  }
  // RangeSync is a hint to start write-back, not a durability point: it does not count as a sync.
  IOStatus RangeSync(std::uint64_t, std::uint64_t, const IOOptions&, IODebugContext*) override {
    return IOStatus::OK();
  }

 private:
  FaultFileSystem* fs_;
  std::shared_ptr<FaultFileSystem::FileState> state_;
};

}  // namespace

FaultFileSystem::FaultFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base)
    : FileSystemWrapper(base) {}

IOStatus FaultFileSystem::track(const std::string& fname, std::unique_ptr<rocksdb::FSWritableFile>* result,
                                std::uint64_t existing_bytes) {
  auto state = std::make_shared<FileState>();
  state->size = existing_bytes;
  state->synced = existing_bytes;  // what was on disk before this open was durable
  {
    std::lock_guard lock(mu_);
    files_[fname] = state;
  }
  *result = std::make_unique<FaultWritableFile>(std::move(*result), this, state);
  return IOStatus::OK();
}

IOStatus FaultFileSystem::NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                          std::unique_ptr<rocksdb::FSWritableFile>* result,
                                          IODebugContext* dbg) {
  if (!active_) return power_is_off();
  IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  if (!s.ok()) return s;
  return track(fname, result, 0);
}

IOStatus FaultFileSystem::ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                                             IODebugContext* dbg) {
  if (!active_) return power_is_off();
  std::error_code ec;
  auto existing = std::filesystem::file_size(fname, ec);
  IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
  if (!s.ok()) return s;
  return track(fname, result, ec ? 0 : existing);
}

IOStatus FaultFileSystem::ReuseWritableFile(const std::string&, const std::string&, const rocksdb::FileOptions&,
                                            std::unique_ptr<rocksdb::FSWritableFile>*, IODebugContext*) {
  return IOStatus::NotSupported("fault file system: log recycling");  // recycle_log_file_num is 0
}

IOStatus FaultFileSystem::RenameFile(const std::string& src, const std::string& target_name,
                                     const IOOptions& options, IODebugContext* dbg) {
  if (!active_) return power_is_off();
  IOStatus s = target()->RenameFile(src, target_name, options, dbg);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    auto it = files_.find(src);
    if (it != files_.end()) {
      files_[target_name] = it->second;
      files_.erase(it);
    }
  }
  return s;
}

IOStatus FaultFileSystem::DeleteFile(const std::string& fname, const IOOptions& options, IODebugContext* dbg) {
  if (!active_) return power_is_off();
  IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (s.ok()) {
    std::lock_guard lock(mu_);
    files_.erase(fname);
  }
  return s;
}

void FaultFileSystem::on_append(const std::shared_ptr<FileState>& state, std::uint64_t bytes) {
  std::lock_guard lock(mu_);
  state->size += bytes;
}

void FaultFileSystem::on_sync(const std::shared_ptr<FileState>& state) {
  std::lock_guard lock(mu_);
  state->synced = state->size;
}

std::uint64_t FaultFileSystem::drop_unsynced_data() {
  DYNAMO_CHECK(!active_);  // only after the power cut: nothing may write meanwhile
  std::lock_guard lock(mu_);
  std::uint64_t dropped = 0;
  for (auto& [name, state] : files_) {
    DYNAMO_CHECK(state->synced <= state->size);
    std::error_code ec;
    auto on_disk = std::filesystem::file_size(name, ec);
    if (ec || on_disk <= state->synced) continue;
    std::filesystem::resize_file(name, state->synced, ec);
    DYNAMO_CHECK(!ec);
    dropped += on_disk - state->synced;
    state->size = state->synced;
  }
  return dropped;
}

}  // namespace dynamo::store
