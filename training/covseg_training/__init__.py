"""Training, evaluation and ONNX export of the covseg U-Net (COVID-19 infection on lung-window CT slices).

The preprocessing contract shared with the TypeScript server is in docs/CONTRACTS.md section 1.
"""
