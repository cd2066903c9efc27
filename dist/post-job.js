// Azure DevOps post-job execution (task.json postjobexecution): the post step of the bundle, never a main run.
process.env.AVD_IMAGE_ACTION_STAGE = "post";
import("./index.js").catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
