from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, ListView

from appeals.forms import SignatureForm
from appeals.models import Appeal


class AppealListView(ListView):
    template_name = "appeals/appeal_list.html"
    context_object_name = "appeals"
    paginate_by = 20

    def get_queryset(self):
        return Appeal.objects.published().with_authors().open_first()


class AppealDetailView(DetailView):
    template_name = "appeals/appeal_detail.html"
    context_object_name = "appeal"

    def get_queryset(self):
        return Appeal.objects.published().with_authors()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.object.is_open:
            context["form"] = SignatureForm(
                action=reverse("appeals:sign", kwargs={"slug": self.object.slug})
            )
        return context


@require_POST
def sign(request, slug):
    appeal = get_object_or_404(Appeal.objects.published(), slug=slug)
    return render(request, "appeals/sign_unavailable.html", {"appeal": appeal})
