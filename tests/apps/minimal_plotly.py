"""The reference for the cold-start benchmark (tests/browser_bench.py): the least a Streamlit
app with torch and one plotly chart costs to show its chart on this machine."""

import plotly.graph_objects as go
import streamlit as st
import torch

st.title("Minimal app")
x = torch.linspace(0, 1, 50)
st.plotly_chart(go.Figure(go.Scatter(x=x.tolist(), y=(x * x).tolist(), mode="markers")))
