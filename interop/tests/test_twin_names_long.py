"""names-mlp for 20,000 steps, once by Descent and once by the twin (configs/names-mlp.json with
--set training.maxSteps=20000, data from ../shared/data/names.txt), the twin's weights imported
and both runs scored by `descent eval` on the validation names: the losses agree within 0.02
nats. The two trainers draw different initial weights and batch orders, so this compares what
they reach, not their bits. Takes minutes: runs only with DESCENT_INTEROP_LONG=1
(scripts/test-interop.sh --long)."""

import os
import unittest

import twin_support as support


@unittest.skipUnless(os.environ.get("DESCENT_INTEROP_LONG"), "the 20k-step names-mlp comparison runs with "
                     "scripts/test-interop.sh --long")
class TwinNamesLongTest(unittest.TestCase):
    def test_twin_reaches_descents_loss(self):
        ws = support.Workspace(support.require_descent())
        self.addCleanup(ws.close)
        if not os.path.isfile(support.NAMES):
            self.skipTest(f"{support.NAMES} is absent")
        ws.descent_cmd("prepare", support.NAMES, "--out", "data/names", "--split-by", "lines", db=False)
        config = os.path.join(support.REPO, "configs", "names-mlp.json")
        steps = "training.maxSteps=20000"
        ws.train_descent(config, "descent-20k", "--set", steps)
        ws.train_twin(config, "twin-20k.safetensors", "--set", steps)
        ws.import_(ws.path("twin-20k.safetensors"), "twin-20k")
        val = ws.write("val.txt", support.split_text(ws.path("data/names"), "val"))
        descent = ws.eval_text("descent-20k", val)["loss"]
        twin = ws.eval_text("twin-20k", val)["loss"]
        print(f"\n  names-mlp 20k steps, descent eval on the validation names: Descent {descent:.4f}, twin {twin:.4f}",
              end="")
        self.assertLess(abs(twin - descent), 0.02)


if __name__ == "__main__":
    unittest.main()
