"""The shared math and rules: the network's names, activations, a spreadsheet's arithmetic, the spec, presets, the numpy reference, errors."""
