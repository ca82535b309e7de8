"""factory_boy factories for the test suite."""

import factory

from lms.accounts.models import LearnerProfile, Role, User
from lms.accounts.services import user_assign_role

DEFAULT_PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name", locale="ko_KR")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create:
            return
        self.save()
        LearnerProfile.objects.get_or_create(user=self)
        for role in extracted if extracted is not None else (Role.LEARNER,):
            user_assign_role(user=self, role=role)
