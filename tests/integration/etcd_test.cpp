// etcd as the engine under several masters: the store over its JSON gateway, the guard that
// keeps a deposed leader from writing, and the election itself, against a real etcd.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "common/etcd_store.hpp"
#include "common/journal.hpp"
#include "common/leader_election.hpp"
#include "common/master_locator.hpp"
#include "tests/support/cluster.hpp"
#include "tests/support/etcd.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/wait.hpp"

namespace agora::testing {
namespace {

// A real etcd on this process's own ports, and a loop on a thread for elections to post to.
class EtcdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::tie(portLock_, portBase_) = takePortSlot();
    etcd_ = std::make_unique<TestEtcd>(dir_ + "/etcd", static_cast<int>(portBase_ + 10));
    etcd_->start();
    loopThread_ = std::thread([this] { loop_.run(); });
  }
  void TearDown() override {
    loop_.stop();
    loopThread_.join();
    etcd_.reset();
    if (portLock_ >= 0) ::close(portLock_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string dir_ = makeTempDir("agora-etcd-test");
  int portLock_ = -1;
  uint64_t portBase_ = 0;
  std::unique_ptr<TestEtcd> etcd_;
  RealClock clock_;
  EventLoop loop_{clock_};
  std::thread loopThread_;
};


TEST_F(EtcdTest, StoreReadsWritesAndScansUnderItsPrefix) {
  auto store = openEtcdStore(etcd_->target("/t1"), "registry");
  ASSERT_TRUE(store->put("agents/a1", "one").ok());
  ASSERT_TRUE(store->apply({{"agents/a2", "two"}, {"frameworks/f1", "fw"}, {"agents/a1", std::nullopt}}).ok());
  auto a1 = store->get("agents/a1");
  ASSERT_TRUE(a1.ok()) << a1.error();
  EXPECT_FALSE(a1->has_value());
  auto agents = store->scan("agents/");
  ASSERT_TRUE(agents.ok()) << agents.error();
  ASSERT_EQ(agents->size(), 1u);
  EXPECT_EQ(agents->at("agents/a2"), "two");
  // Bytes that are not text travel intact (the gateway wants base64).
  std::string binary("\0\xff\x01zz", 5);
  ASSERT_TRUE(store->put("bin", binary).ok());
  EXPECT_EQ(**store->get("bin"), binary);
  // Another prefix sees nothing of it.
  EXPECT_TRUE(openEtcdStore(etcd_->target("/t2"), "registry")->scan("")->empty());
  // A batch larger than one etcd transaction is refused whole, not half written.
  std::vector<StoreWrite> big;
  for (size_t i = 0; i <= kEtcdMaxTxnOps; ++i) big.push_back({"big/" + std::to_string(i), "x"});
  EXPECT_FALSE(store->apply(big).ok());
  EXPECT_TRUE(store->scan("big/")->empty());
  EXPECT_EQ(store->maxBatchWrites(), kEtcdMaxTxnOps);
}

// A framework's journal on etcd: a key written twice in one commit is written once, and a
// commit larger than one transaction goes in parts, all of it written.
TEST_F(EtcdTest, AJournalCommitsMoreThanOneTransactionHolds) {
  Journal journal(openEtcdStore(etcd_->target("/j"), "state"));
  for (size_t i = 0; i < 3 * kEtcdMaxTxnOps; ++i) journal.put("run/" + std::to_string(i), {{"n", i}});
  journal.put("run/0", {{"n", "last"}});
  bool acted = false;
  journal.then([&] { acted = true; });
  ASSERT_TRUE(journal.commit().ok());
  EXPECT_TRUE(acted);
  auto runs = journal.scan("run/");
  ASSERT_TRUE(runs.ok()) << runs.error();
  EXPECT_EQ(runs->size(), 3 * kEtcdMaxTxnOps);
  EXPECT_EQ(runs->at("run/0")["n"], "last");
  EXPECT_FALSE(journal.pending());
}

TEST_F(EtcdTest, GuardedStoreWritesOnlyWhileTheGuardKeyHoldsItsValue) {
  EtcdClient etcd(etcd_->target());
  auto value = std::make_shared<const std::string>("me");
  std::atomic<int> deposed{0};
  auto store = guardStore(openEtcdStore(etcd_->target(), "registry"), "/agora/master/leader", value, [&] { ++deposed; });
  Status refused = store->put("k", "v");
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.error().find("no longer leads"), std::string::npos) << refused.error();
  EXPECT_EQ(deposed.load(), 1);
  ASSERT_TRUE(etcd.put("/agora/master/leader", "me").ok());
  EXPECT_TRUE(store->put("k", "v").ok());
  ASSERT_TRUE(etcd.put("/agora/master/leader", "someone else").ok());
  EXPECT_FALSE(store->put("k", "w").ok());
  EXPECT_EQ(deposed.load(), 2);
  EXPECT_EQ(**store->get("k"), "v") << "a write after the guard changed hands went through";
}

TEST_F(EtcdTest, UnreachableEtcdIsAClearError) {
  EtcdTarget nowhere = *parseEtcdUrl("etcd://127.0.0.1:" + std::to_string(portBase_ + 19) + "/agora");
  auto got = openEtcdStore(nowhere, "registry")->get("k");
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().find("no etcd server answered"), std::string::npos) << got.error();
  EXPECT_FALSE(parseEtcdUrl("etcd://host-without-port/agora").ok());
  EXPECT_FALSE(parseEtcdUrl("http://127.0.0.1:2379").ok());
  auto two = parseEtcdUrl("etcd://127.0.0.1:1,127.0.0.1:2/p/");
  ASSERT_TRUE(two.ok()) << two.error();
  EXPECT_EQ(two->servers.size(), 2u);
  EXPECT_EQ(two->prefix, "/p");
}

struct Candidate {
  Candidate(EventLoop& loop, const EtcdTarget& target, const std::string& id) {
    LeaderElection::Events events;
    events.elected = [this](int64_t) { ++elected; };
    events.deposed = [this](const std::string&) { ++deposed; };
    ElectionOptions options;
    options.ttl = std::chrono::seconds(2);
    election = std::make_unique<LeaderElection>(loop, target, options, ElectionMember{id, "tcp://127.0.0.1:1", ""}, events);
    election->start();
  }
  std::atomic<int> elected{0}, deposed{0};
  std::unique_ptr<LeaderElection> election;
};

TEST_F(EtcdTest, OneCandidateLeadsAndAResignationHandsOverAtOnce) {
  Candidate a(loop_, etcd_->target(), "a"), b(loop_, etcd_->target(), "b");
  ASSERT_TRUE(eventually([&] { return a.elected + b.elected == 1; }));
  Candidate& winner = a.elected ? a : b;
  Candidate& other = a.elected ? b : a;
  EXPECT_TRUE(winner.election->leading());
  EXPECT_FALSE(other.election->leading());
  ASSERT_TRUE(eventually([&] { return other.election->leader().has_value(); }));
  EXPECT_EQ(other.election->leader()->id, winner.election->me().id);
  // The peers' view: the leader as etcd names it.
  auto locator = MasterLocator::make(etcd_->url());
  ASSERT_TRUE(locator.ok());
  EXPECT_TRUE((*locator)->usesEtcd());
  int64_t firstTerm = winner.election->term();

  auto resigned = std::chrono::steady_clock::now();
  winner.election->resign();
  EXPECT_FALSE(winner.election->leading());
  ASSERT_TRUE(eventually([&] { return other.elected == 1; })) << "the standby did not take over";
  auto tookOver = std::chrono::steady_clock::now() - resigned;
  EXPECT_TRUE(other.election->leading());
  EXPECT_GT(other.election->term(), firstTerm);
  EXPECT_EQ(winner.deposed.load(), 0) << "a resignation is not a deposition";
  std::printf("handover after resign: %lld ms\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(tookOver).count()));
}

TEST_F(EtcdTest, ALeaderThatCannotReachEtcdStopsLeadingWithinTheLease) {
  Candidate a(loop_, etcd_->target(), "a");
  ASSERT_TRUE(eventually([&] { return a.elected == 1; }));
  // etcd stops answering (frozen, as a partition looks from here).
  ASSERT_EQ(::kill(etcd_->pid(), SIGSTOP), 0);
  auto frozen = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return !a.election->leading(); }, std::chrono::seconds(10)));
  auto stopped = std::chrono::steady_clock::now() - frozen;
  ::kill(etcd_->pid(), SIGCONT);
  ASSERT_TRUE(eventually([&] { return a.deposed == 1; })) << "the owner was not told";
  // Before the lease (2 s) could have ended in etcd, so no one else could lead meanwhile.
  EXPECT_LT(stopped, std::chrono::seconds(2));
  std::printf("stopped leading %lld ms after etcd froze\n",
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(stopped).count()));
}

}  // namespace
}  // namespace agora::testing
