"""What a person sees beyond the Processing dialogs: menu entries and plots."""
