#pragma once
// Metronome's REST API (/v1/jobs, runs, schedules, /ping, /metrics) over the job scheduler, on
// its loop, plus Agora's previews of a schedule's next slots, mark-success, suspend and resume,
// and the dependency graph. Reads answer at once; a change answers once it is durable.

#include <set>
#include <string>

#include "common/http_server.hpp"
#include "frameworks/batch/job_scheduler.hpp"

namespace agora::batch {

struct ApiOptions {
  std::string httpAddress;  // "host:port" of this API
  std::string master;
};

class BatchApi {
 public:
  BatchApi(JobScheduler& scheduler, ApiOptions options) : scheduler_(scheduler), options_(std::move(options)) {}

  // The whole request: routes it, then has the scheduler settle (which commits).
  ApiReply handle(const ApiCall& call);

 private:
  ApiReply route(const ApiCall& call);
  // api_jobs.cpp
  ApiReply jobs(const ApiCall& call);
  ApiReply oneJob(const ApiCall& call, const std::string& id);
  ApiReply schedules(const ApiCall& call, const std::string& jobId, const std::string& scheduleId,
                     const std::string& action);
  ApiReply nextSlots(const ApiCall& call, const std::string& jobId, const std::string& scheduleId);
  nlohmann::json jobView(const JobSpec& job, const std::set<std::string>& embed) const;
  // api_runs.cpp
  ApiReply runs(const ApiCall& call, const std::string& jobId, const std::string& runId, const std::string& action);
  ApiReply graph(const std::string& jobId) const;
  nlohmann::json historyJson(const std::string& jobId, bool withRuns) const;
  ApiReply info() const;
  ApiReply metrics() const;

  // A change's answer: given after the commit when it succeeded, at once when it did not.
  ApiReply answer(const Outcome& outcome);

  JobScheduler& scheduler_;
  ApiOptions options_;
};

// {"message": "..."}: Metronome's error shape.
ApiReply messageReply(int status, const std::string& message);

}  // namespace agora::batch
