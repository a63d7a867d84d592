"""The Streamlit app: the only package that imports streamlit. `app.py` calls `main()`."""
