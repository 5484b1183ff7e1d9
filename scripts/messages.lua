-- wrk script: POST /v1/messages with a new conversation and message id on every request,
-- rotating through realistic first questions (answers, flows, hand-offs).
local counter = 0
local run = os.time()
local texts = {
  "How much does shipping cost?",
  "Can I pay with PayPal?",
  "How do I return an item?",
  "I forgot my password",
  "Where is my order?",
  "Do you ship to Germany?",
  "My parcel arrived damaged",
  "I want to talk to a person",
  "When will I get my refund?",
  "How do I delete my account?",
}

function setup(thread)
  thread:set("id", tostring(math.random(1, 1000000000)))
end

request = function()
  counter = counter + 1
  local key = string.format("%d-%s-%d", run, id, counter)
  local body = string.format(
    '{"channel":"web","conversation_id":"load-%s","message_id":"load-%s","customer":{"id":"u-%s","locale":"en"},"text":"%s"}',
    key, key, key, texts[counter % #texts + 1])
  return wrk.format("POST", "/v1/messages", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. (os.getenv("LOAD_KEY") or "load-test-key-1"),
  }, body)
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("non-2xx or socket errors: %d\n", errors))
end
