// Azure DevOps post-job execution (task.json postjobexecution): the post step of the bundle, never a main run.
process.env.AVD_IMAGE_ACTION_STAGE = "post";
await import("./index.js");
