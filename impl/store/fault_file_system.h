// fault_file_system.h: a RocksDB file system (test only) that can lose what was never synced, to
// simulate power loss, as leveldb's FaultInjectionTestEnv::DropUnsyncedFileData does.
//
// It wraps the real file system and remembers, for every file opened for writing, how many bytes
// were appended and how many of them a Sync/Fsync made durable. drop_unsynced_data() truncates
// every such file to its synced length. A process that dies keeps what it had written to its files
// in the page cache (kill -9 cannot show this loss); this shows what a machine that loses power loses.
//
// Use: make it with std::make_shared, open the store with rocksdb::NewCompositeEnv(fs); write; deactivate() (the "power cut": from then on every write,
// sync, rename and delete fails, so closing the database cannot persist anything more); destroy the
// store; drop_unsynced_data(); reactivate(); reopen.
// Limits: directory entries are not modelled (a renamed or deleted file stays renamed or deleted).
// Thread safety: one mutex guards the per-file table; RocksDB's background threads may call in.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

namespace dynamo::store {

class FaultFileSystem : public rocksdb::FileSystemWrapper {
 public:
  struct FileState {
    std::uint64_t size = 0;
    std::uint64_t synced = 0;
  };

  explicit FaultFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base);
  static const char* kClassName() { return "DynamoFaultFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  void deactivate() { active_ = false; }
  void reactivate() { active_ = true; }
  bool active() const { return active_; }
  // Truncates every tracked file to its synced length; returns the bytes dropped.
  std::uint64_t drop_unsynced_data();

  // Called by the file wrappers.
  void on_append(const std::shared_ptr<FileState>& state, std::uint64_t bytes);
  void on_sync(const std::shared_ptr<FileState>& state);

 private:
  rocksdb::IOStatus track(const std::string& fname, std::unique_ptr<rocksdb::FSWritableFile>* result,
                          std::uint64_t existing_bytes);

  std::atomic<bool> active_{true};
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<FileState>> files_;
};

}  // namespace dynamo::store
