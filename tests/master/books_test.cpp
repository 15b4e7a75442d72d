// The master's books of offers and tasks keep their indexes in step with their entries.
#include <gtest/gtest.h>

#include "master/offer_book.hpp"
#include "master/task_book.hpp"

namespace agora {
namespace {

TEST(OfferBookTest, IndexesByAgentAndFrameworkFollowTheOffers) {
  OfferBook book;
  book.add(Offer{"o1", "fw1", "a1", "h1", {}, {}, "*"});
  book.add(Offer{"o2", "fw1", "a2", "h2", {}, {}, "*"});
  book.add(Offer{"o3", "fw2", "a1", "h1", {}, {}, "*"});
  EXPECT_EQ(book.ofAgent("a1"), (std::set<std::string>{"o1", "o3"}));
  EXPECT_EQ(book.ofFramework("fw1"), (std::set<std::string>{"o1", "o2"}));
  std::optional<Offer> taken = book.take("o1");
  ASSERT_TRUE(taken);
  EXPECT_EQ(taken->agentId, "a1");
  EXPECT_FALSE(book.take("o1")) << "taken twice";
  EXPECT_EQ(book.find("o1"), nullptr);
  EXPECT_EQ(book.ofAgent("a1"), (std::set<std::string>{"o3"}));
  EXPECT_EQ(book.ofFramework("fw1"), (std::set<std::string>{"o2"}));
  book.take("o2");
  book.take("o3");
  EXPECT_EQ(book.size(), 0u);
  EXPECT_TRUE(book.ofAgent("a1").empty());
}

TEST(TaskBookTest, ATaskThatMovesAgentsIsIndexedUnderItsNewOneAndCompletedTasksAreBounded) {
  TaskBook book(2);
  TaskInfo info;
  info.taskId = "t1";
  info.agentId = "a1";
  bool inserted = false;
  book.place({"fw", "t1"}, info, &inserted);
  EXPECT_TRUE(inserted);
  info.agentId = "a2";  // reported by another agent at its re-registration
  book.place({"fw", "t1"}, info, &inserted);
  EXPECT_FALSE(inserted);
  EXPECT_TRUE(book.ofAgent("a1").empty());
  EXPECT_EQ(book.ofAgent("a2").size(), 1u);
  EXPECT_EQ(book.ofFramework("fw").size(), 1u);
  EXPECT_EQ(book.find({"fw", "t1"})->frameworkId, "fw");

  for (const char* id : {"t2", "t3"}) {
    info.taskId = id;
    book.place({"fw", id}, info);
  }
  for (const char* id : {"t1", "t2", "t3"}) book.complete({"fw", id});
  EXPECT_TRUE(book.active().empty());
  EXPECT_TRUE(book.ofFramework("fw").empty());
  ASSERT_EQ(book.completed().size(), 2u) << "only the last two are kept";
  EXPECT_EQ(book.completed().front().info.taskId, "t2");
}

}  // namespace
}  // namespace agora
